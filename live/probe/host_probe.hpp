// The host probe: microbenchmarks of seconds, each isolating one term of
// the host profile (sim/scenario/host_profile.hpp), so that what a machine
// does to software is measured on it rather than fitted with the software.
//   speed        a fixed C loop and a fixed Python loop, pinned to each CPU
//                in turn and interleaved, every sample kept, so a vCPU that
//                flips between two speeds shows as two levels, not a mean;
//   wake-up      a ping-pong across two pinned processes through pipes: the
//                time from a write to the reader running, after the reader's
//                core sat idle (with one CPU, a timer's overshoot instead);
//   idle penalty a fixed memory-touching burst after idle gaps of growing
//                length, against the same burst back to back.
// The scheduler's imbalance is not probed: it is how the scheduler places
// the stack's own threads, so calibrate quick fits it on its short plan.
#pragma once

#include <string>
#include <vector>

#include "sim/scenario/config.hpp"

namespace stacksim::live {

struct ProbeOptions {
  int cores = 0;             // use the first `cores` allowed CPUs; 0: all of them
  double speed_seconds = 8;  // the speed probe's whole span, C and Python interleaved
};

// Samples of one reference workload, in time order.
struct SpeedSample {
  int cpu = 0;
  double at_s = 0;  // since the probe started
  double ms = 0;    // time of one unit of work
};
struct SpeedLevels {
  int samples = 0;
  double median_ms = 0;
  double rate = 0;  // mean over samples of 1/ms: units of work per ms
  bool two_levels = false;
  double fast_ms = 0, slow_ms = 0;  // medians of the two levels (equal when one)
  double slow_share = 0;            // of the samples
  int flips = 0;                    // level changes between consecutive samples of one CPU
};
// Two levels when the best two-way split of the log-times (1-D 2-means)
// gives medians more than 15% apart, each level a tenth of the samples.
SpeedLevels speed_levels(const std::vector<SpeedSample>& samples);

// The C reference's rate (units per ms, as native_rate) over `units` units
// on each of `cpus` in turn: about 13 ms a unit here. The runner takes it
// just before and just after a measured window, so a run whose vCPU speed
// moved is seen.
double reference_rate(const std::vector<int>& cpus, int units);

// The CPUs the probe and the runs may use: the first `cores` of this
// process's affinity mask. InputError when fewer are allowed.
std::vector<int> probe_cpus(int cores);

// Runs every probe (about 12 s) and returns the profile. InputError when a
// CPU cannot be pinned or the Python reference cannot run.
HostProfile probe_host(const ProbeOptions& options);
// The cross-core term alone (about 2 s), added to `p`: for a profile probed
// before the term existed, on the first of the CPUs `options` names.
void probe_cross_core_term(const ProbeOptions& options, HostProfile& p);

// One line per term, with the figures behind it.
std::string format_profile(const HostProfile& p);

}  // namespace stacksim::live
