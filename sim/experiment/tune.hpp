// `stacksim tune`: for each stack, the configuration of its knobs (workers of
// its type and sessions by default, any numeric scenario knob on request)
// that best meets a goal — (a) the highest throughput, (b) the highest with
// P99 under a limit, or (c) the least workers, then sessions, that reach a
// throughput with P99 under a limit. The objective is noisy, so (a) and (b)
// run a coarse geometric ladder over the knobs, then refine around the best
// with more replications, and choose the cheapest point whose throughput is
// within the best's 95% interval (a sync stack's throughput flattens once CPU
// binds; more workers past the knee only cost memory). (c) bisects workers
// for each combination of the other knobs' ladder values (assuming more
// workers never hurt with the others fixed), takes the cheapest answer,
// bisects each other knob down from there, and checks the assumption one
// step above the answer. Every point runs
// through run_jobs with the same replication seeds (common random numbers), so the bits do not
// depend on the thread count.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"
#include "sim/metrics/replication_stats.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

inline constexpr const char* kTuneSchema = "stacksim.tune";
inline constexpr int kTuneVersion = 1;

enum class TuneGoal { kMaxThroughput, kMaxThroughputUnderP99, kLeastForThroughput };

struct TuneKnob {
  std::string knob;  // a numeric scenario knob; "workers" is workers.<the stack's type>
  bool integer = true;
  double lo = 0, hi = 0;  // inclusive
};

struct TuneSpec {
  Scenario scenario;                // everything not tuned, replications and seed included
  std::vector<std::string> stacks;  // each tuned on its own
  TuneGoal goal = TuneGoal::kMaxThroughput;
  double p99_limit_ms = 0;      // goals b and c; 0 in c: no limit
  double target_rps = 0;        // goal c
  std::vector<TuneKnob> knobs;  // "workers" first
  int ladder_points = 6;        // coarse values per knob
  int refine_replications = 0;  // 0: twice the scenario's
  int alternatives = 3;
  unsigned threads = 0;          // 0: one per core
  Progress* progress = nullptr;  // told of every run; null: nobody
  int refine_reps() const {
    return refine_replications > 0 ? refine_replications : 2 * scenario.replications;
  }
};

// A knob to tune: must be numeric and not replications, requests or seed;
// lo <= hi within the knob's range, whole numbers in it for a whole-number
// knob. `flag` names the field in messages ("--knob workers").
TuneKnob make_tune_knob(const std::string& flag, const std::string& knob, double lo, double hi);
// The default range of workers and sessions for a scenario: workers 1 to
// min(clients, 16 x cores), sessions 1 to clients (a closed loop of C clients
// never holds more of either).
TuneKnob default_tune_knob(const std::string& knob, const Scenario& scenario);

// The rules that can be checked before a run (stacks in the model, goal
// and its numbers, knobs distinct); InputError naming the flag otherwise.
void check_tune(const Model& model, const TuneSpec& spec);

// One configuration as simulated.
struct TunePoint {
  std::vector<double> values;  // one per knob, in the spec's order
  std::size_t replications = 0;
  Summary throughput, p50, p99;
  bool meets = true;  // the goal's P99 limit and throughput target
  int workers = 0, sessions = 0;
  // master + workers x worker + connections x connection, from the model's
  // memory; connections by Little's law (throughput x mean latency: the
  // clients of a closed loop), at most workers x max_concurrency.
  std::optional<double> ram_mb;
  double connections = 0;
  std::string binding;  // the explanation's binding resource
  std::string binding_formula;
  std::string sentence;
  double worker_hold_ms = 0;   // analytic, at the model's means, no contention
  double session_hold_ms = 0;  // simulated, per request
};

// A rule people use today, what it picks and what the model predicts for it.
struct RuleOfThumb {
  std::string name;     // "gunicorn", "pool", "little"
  std::string formula;  // "2 x cores + 1 = 5 workers"
  TunePoint at;
  std::string verdict;  // against the tuned choice, in words
};

struct StackTune {
  std::string stack;
  WorkerType type = WorkerType::kSync;
  std::vector<TuneKnob> knobs;  // "workers" resolved to its type
  bool reached = true;          // false: no point meets the goal; `chosen` is the best seen
  TunePoint chosen;
  std::vector<TunePoint> alternatives;  // next best, best first
  std::vector<RuleOfThumb> rules;
  std::vector<std::string> why;  // what binds, which range edge it sits at, memory
  std::string monotonicity;      // goal c: the check one step above the answer
  std::size_t runs = 0;
};

struct TuneResult {
  std::vector<StackTune> stacks;
  std::size_t runs = 0;
};

// Tunes every stack. Goal b or c with no stack reaching it is an InputError
// naming --p99-limit or --throughput and what the best reached.
TuneResult run_tune(const Model& model, const TuneSpec& spec);

// "workers.sync=9 sessions=100".
std::string tune_label(const StackTune& t, const TunePoint& p);
std::string tune_goal_text(const TuneSpec& spec);

}  // namespace stacksim
