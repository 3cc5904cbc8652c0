// Built by layering_upward_include_fails: resources/ may not see
// components/, a layer above it, so this file must not compile.
#include "sim/components/request.hpp"
#include "sim/resources/pool.hpp"

int layering_upward() {
  return 0;
}
