// Built by layering_allowed_include_builds: resources/ may use the engine.
#include "sim/engine/simulator.hpp"
#include "sim/resources/pool.hpp"

int layering_allowed() {
  return 0;
}
