// Why a stack got the throughput it got. Two views of the same question:
//   * analytic bounds read off the topology graph's main path with the
//     model's mean demands (cores / CPU per request, W / worker hold time,
//     S / session hold time, one thread / its demand, C / minimal response
//     time) — optimistic, each ignores the others;
//   * the simulated utilisation of each of those resources: the one nearest
//     saturation binds, and X / utilisation is the bound it sets at the
//     simulated hold times and demands.
// The sentence names the binding resource with its numbers.
#pragma once

#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"

namespace stacksim {

struct Bound {
  std::string resource;  // "cpu", "workers", "worker_threads", "sessions", "pgbouncer", "client",
                         // "nginx", "clients"
  double rps = 0;        // the throughput it allows
  std::string formula;   // "6 cores / 2.41 ms CPU per request"
};

struct Explanation {
  std::vector<Bound> analytic;  // from the model's means, ascending
  Bound binding;                // at the simulated demands and hold times
  double binding_utilisation = 0;
  std::string sentence;
};

Explanation explain(const Model& model, const StackModel& stack, const Scenario& scenario,
                    const StackResult& result);

// Which kind of server wins this configuration and why, in one paragraph.
std::string verdict(const Model& model, const ConfigurationResult& result);

}  // namespace stacksim
