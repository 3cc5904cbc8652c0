// The shipped model and scenario of this machine (models/this-machine.json,
// scenarios/this-machine.json), loaded as the CLI loads them, for the tests
// and benchmarks that run on real numbers rather than a model built in code.
#pragma once

#include <cstdint>
#include <string>

#include "sim/experiment/crossover.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim::testing {

inline Model shipped_model() {
  return load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/this-machine.json");
}

inline Scenario shipped_scenario() {
  return load_scenario(std::string(STACKSIM_SOURCE_DIR) + "/scenarios/this-machine.json");
}

// A crossover map of the shipped pair on the shipped scenario: gunicorn-flask
// (sync) against uvicorn-starlette (async), each point `replications` runs of
// `requests` measured after `warmup_requests`. The axes, levels, stopping
// rule and threads are the caller's.
inline CrossoverSpec shipped_crossover(std::int64_t requests, std::int64_t warmup_requests,
                                       int replications) {
  CrossoverSpec spec;
  spec.scenario = shipped_scenario();
  spec.scenario.requests = requests;
  spec.scenario.warmup_requests = warmup_requests;
  spec.scenario.replications = replications;
  spec.sync_side = {"gunicorn-flask"};
  spec.async_side = {"uvicorn-starlette"};
  return spec;
}

}  // namespace stacksim::testing
