// Validation: a model's predictions against live runs it was not fitted
// from. For each point of a validation plan the measured repeats (median and
// range) of throughput, P50, P99 and #DB are set against the simulator's
// prediction of the same configuration; the report aggregates the errors
// (all points, and per core count: calibrated at 2, checked at 1), and
// scores, for every sync/async pair of stacks in one configuration, whether
// the predicted winner is the measured one.
//
// The machine's speed of the day: on a shared virtual machine the CPU a
// request costs drifts between runs (up to 1.7x between repeats of one
// point here), and a CPU-bound point's throughput drifts with it. With
// at_measured_speed, each point is predicted a second time on a host whose
// speed brings the model's CPU per request to the runs' median measured one
// (host.speed = predicted CPU / measured CPU, one step: the load-dependent
// part of the CPU then moves a little with the load the speed changes). The measured CPU is an
// input of that prediction, throughput and latency still its outputs: what
// error is left is the queueing model's, what went away was the machine's.
//
// The runner also measures the vCPU's speed itself, apart from the stack:
// its C reference loop just before and after each window (the record's
// host_speed, the loop of the model's host profile). With at_measured_speed
// and a model that names its profile, each point is predicted a third time
// at that speed: host.speed times the runs' median reference rate over the
// profile's native_rate. Nothing of the runs' CPU enters that prediction, so
// what it removes is only the machine's drift between the probe and the runs.
#pragma once

#include <array>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/record.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct ValidateOptions {
  std::int64_t requests = 20'000;  // simulated per replication
  std::int64_t warmup_requests = 4'000;
  int replications = 3;
  unsigned threads = 0;
  std::uint64_t seed = 1;
  bool skip_flagged = false;       // leave out records the live runner flagged
  bool at_measured_speed = false;  // also predict each point at its runs' speed
};

// The median of v (NaN when v is empty).
double median_of(std::vector<double> v);

// The shorter simulations a fit compares its candidates with (8,000
// requests after 2,000 of warm-up per replication): a candidate's error
// against the records, not a prediction to report.
inline ValidateOptions candidate_simulation(int replications) {
  ValidateOptions o;
  o.requests = 8'000;
  o.warmup_requests = 2'000;
  o.replications = replications;
  return o;
}

struct Comparison {
  int repeats = 0;
  double median = 0, min = 0, max = 0;  // measured over repeats
  double predicted = 0;
  double error = 0;           // (predicted - median) / median
  bool within_range = false;  // min <= predicted <= max
};

// A point predicted again at the speed its runs measured (see the top).
struct AtMeasuredSpeed {
  double speed = std::nan("");  // the host.speed of the prediction; NaN: not predicted
  Comparison throughput, p50, p99;
};

struct ValidationPoint {
  std::string stack;
  WorkerType type = WorkerType::kSync;
  std::string group;  // the configuration without the stack: what pairs share
  int cores = 0;      // used (pinned count, or the host's)
  int workers = 0;
  int clients = 0, sessions = 0;
  double delay_ms = 0;
  std::vector<std::string> record_ids;
  int flagged = 0;  // records flagged by the live runner (kept unless skip_flagged)
  Comparison throughput, p50, p99, sessions_peak;
  // The host's busy share in the window (machine busy CPU / cores): the
  // load the demands' idle inflation reads, measured and simulated.
  Comparison host_busy;
  // CPU per request, all groups together (the model's against the runs'),
  // and each group's (calibrate/record.hpp's groups).
  Comparison cpu_us;
  std::array<Comparison, kGroupCount> cpu_us_by_group;
  AtMeasuredSpeed at_speed;  // when asked for: at the runs' CPU per request
  // When asked for and known: at the runner's reference speed around the runs.
  double reference_rate = std::nan("");  // the runs' median, units per ms
  AtMeasuredSpeed at_reference;
};

struct WinnerPair {
  std::string group, sync_stack, async_stack;
  std::string measured_winner, predicted_winner;
  double measured_ratio = 0;  // async / sync, medians
  double predicted_ratio = 0;
  bool decisive = false;  // the repeats' ranges do not overlap
  bool correct = false;
  double predicted_ratio_at_speed = std::nan("");  // both predicted at their runs' speed
  bool correct_at_speed = false;
  double predicted_ratio_at_reference = std::nan("");  // both at their reference speed
  bool correct_at_reference = false;
};

struct ErrorSummary {
  int points = 0;
  double throughput = 0, p50 = 0, p99 = 0, sessions = 0;  // median |error|
  double throughput_within_range = 0;                     // share of points
  double cpu = std::nan("");                              // median |error| of the CPU per request
  // Median |error| at the runs' measured speed (NaN unless asked for).
  double throughput_at_speed = std::nan(""), p50_at_speed = std::nan(""),
         p99_at_speed = std::nan("");
  // Median |error| at the runner's reference speed (NaN where unknown).
  double throughput_at_reference = std::nan(""), p50_at_reference = std::nan(""),
         p99_at_reference = std::nan("");
};

struct ValidationReport {
  std::string model, model_label, plan, plan_name;
  std::vector<std::string> stores;  // where the records came from (for the reader)
  std::vector<ValidationPoint> points;
  std::vector<std::string> missing;  // plan points without records
  std::vector<WinnerPair> pairs;
  ErrorSummary all;
  std::vector<std::pair<int, ErrorSummary>> by_cores;
  std::vector<std::pair<WorkerType, ErrorSummary>> by_type;  // sync, greenlet, coroutine
  int decisive_pairs = 0, decisive_correct = 0, pairs_correct = 0;
  bool at_measured_speed = false;
  // The plan is the one the model was fitted from (validate --in-sample):
  // how well the model reproduces its own records, not a prediction.
  bool in_sample = false;
  int decisive_correct_at_speed = 0, pairs_correct_at_speed = 0;
  // Points predicted at the reference speed, and their pairs (both sides).
  int points_at_reference = 0, pairs_at_reference = 0, decisive_at_reference = 0;
  int decisive_correct_at_reference = 0, pairs_correct_at_reference = 0;
};

// Predicts every plan point that has records and compares. Throws InputError
// when no plan point has a record.
ValidationReport validate_model(const Model& model, const live::SweepPlan& plan,
                                const live::StackRecipes& recipes,
                                const std::vector<nlohmann::json>& records,
                                const ValidateOptions& options);

nlohmann::json to_json(const ValidationReport& r);
std::string to_markdown(const ValidationReport& r);

}  // namespace stacksim::calibrate
