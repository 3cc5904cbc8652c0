// `stacksim calibrate quick`: a model of this host in minutes. The host
// terms come from the probe (live/probe/): the wake-up latency as measured,
// the profile kept in host.profile so the model can be carried to other
// hosts. The software's demands come from a short plan (per stack one
// saturated and one lightly loaded run: CPU per request hot and cold),
// fitted with the full calibration's least squares on the prior's
// structure. host.imbalance, which no probe isolates, is fitted by
// simulating the short plan with the demands and the probed latency held;
// then each async stack's latency shape (accept policy and the order a
// worker serves its requests in, calibrate/latency_shape.hpp) the same way.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace stacksim::calibrate {

struct QuickOptions {
  std::string out;      // the model file written
  std::string plan;     // default calibrate/plans/quick.json of the checkout
  std::string store;    // default <out without .json>.runs.jsonl
  std::string profile;  // default <out without .json>.profile.json (reused when present)
  std::string prior;    // default models/this-machine.json of the checkout (live::project_dir)
  std::vector<std::string> stacks;  // only these (empty: the plan's)
  int cores = 0;                    // pin every run and the probe to N CPUs (0: all)
  bool reprobe = false;             // probe again even when the profile file exists
  bool keep_latency_shape = false;  // keep the prior's accept_policy and worker_order
  // Refit the demands on the load the simulator gives the plan
  // (calibrate/load_consistency.hpp). Off by default: on this VM's records
  // it reproduced the plan better and carried across core counts worse
  // (docs/host.md).
  bool refit_on_simulated_load = false;
  bool no_run = false;
  bool skip_flagged = false;
};

int run_quick_calibration(const QuickOptions& options);

void add_quick_command(CLI::App& calibrate, int& exit_code);

}  // namespace stacksim::calibrate
