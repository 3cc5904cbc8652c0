// Fitting a model from run records. Per-group CPU per request is what the
// records identify, so each group's demand is fitted by least squares (Eigen)
// as y = a + b * x, x a load-dependent figure the records carry, with
// per-record residuals and standard errors. With the load regressor (the
// default) x is the host's idle share in the window and postgres adds its
// open backends, y = d + e * idle (+ b * backends), which is the model's own
// load dependence: the demand is d (the saturated one), the idle inflation
// e / d, and postgres's per-backend cost b. With the other regressors the
// model keeps one constant demand per burst, read off the line at the
// records' mean x (or max, or 0) and the slope is only reported. A group's
// demand is split over its bursts in the prior model's proportions: per-burst
// splits are not identifiable from per-group CPU, and the output says so
// rather than defaulting silently.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/least_squares.hpp"
#include "calibrate/record.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

// kInverseThroughput: x = 1e6 / throughput_rps, the wall-clock us per
// completed request. CPU a group spends per second whatever the load
// (timers, polling) shows as y = d + F x: F is that background CPU in cores,
// d the demand per request without it.
// kLoad: the model's own load dependence (LoadDependence). x = the host's
// idle share in the window (1 - machine busy / cores), and two extra terms:
// the open backends (peak server sessions) and 1e3 / throughput (ms of wall
// clock per request): y = d + e x + b backends + c 1e3 / X, in us. So d is
// the demand on a saturated host with no backend and no gaps, e / d the idle
// inflation, b the CPU per backend per request, and c the cold-cache CPU per
// ms of wall clock per request. The app is fitted per stack without the
// backends term (a sync stack's backends are its workers: not separable).
enum class Regressor { kNone, kSessions, kThroughput, kInverseThroughput, kLoad };
const char* to_string(Regressor r);
// "none", "sessions", "throughput", "inverse_throughput"; InputError naming `where` otherwise.
Regressor parse_regressor(const std::string& name, const std::string& where);

// Kernel hops one request makes in the simulator for this stack and record:
// socket sends on the Topology's main path, plus pgbouncer's off-path
// disconnect in connect-per-request mode. The kernel group is fitted per hop.
int kernel_hops_per_request(const Model& model, const StackModel& stack, const Scenario& scenario);

struct GroupFit {
  std::string stack;  // "" for a fit pooled over every stack
  Group group = Group::kClient;
  LinearFit fit;      // kernel: per hop; others: per request (us)
  double hops = 0;    // kernel: mean hops per request of the records
  double x_span = 0;  // the regressor's range over the records (max - min)
  std::vector<std::string> record_ids;
  // How far the demand at idle 0 was raised to keep idle_inflation within
  // LoadDependence::kMaxIdleInflation (0: not raised), in the fit's unit.
  double value_raised = 0;
};

// Where each group's line is read for the model: at the records' mean x
// (their mean), or at the largest x (e.g. the most loaded record, where the
// CPU bound that decides saturated throughput is), or at x = 0 (the
// intercept: with inverse_throughput, the demand without background CPU).
enum class EvaluateAt { kMean, kMax, kZero };
const char* to_string(EvaluateAt e);
EvaluateAt parse_evaluate_at(const std::string& name, const std::string& where);

struct FitOptions {
  Regressor regressor = Regressor::kLoad;
  EvaluateAt evaluate_at = EvaluateAt::kMean;
  bool skip_flagged = false;  // leave out records flagged by the live runner
  // Each stack's app line identified by as few records as it has
  // coefficients (calibrate quick: per stack a saturated and a light run,
  // and a delayed one where the plan has it).
  bool exact_app_line = false;
  // The cold-cache term (CPU per ms of wall clock per request). A plan of
  // hot and cold runs only cannot tell it from the idle share: both rise
  // together from the saturated run to the light one, so one is kept.
  bool cold_term = true;
  std::string label = "calibrated";
  std::string date;  // ISO date for provenance; empty: today (UTC)
};

// host.imbalance (the scheduler's idle CPU beside waiting work) and
// host.wakeup_latency_us (an idle core's delay in picking up a woken thread)
// do not show in per-group CPU: fit_calibration keeps the prior's and says
// so with this entry of not_identified; `calibrate run` fits them by
// simulating its plan (calibrate/scheduler_fit.hpp) and takes the entry out.
inline constexpr const char* kSchedulerNotFitted =
    "host.imbalance and host.wakeup_latency_us: CPU left idle while work waits in another "
    "core's run queue, and the time an idle core takes to pick up a woken thread, show in "
    "throughput, not in per-group CPU; fitted only by simulating a plan (calibrate run), here "
    "kept from the prior";

// Today's date, UTC, as YYYY-MM-DD (for provenance).
std::string today_utc();

struct Calibration {
  Model model;  // what gets written; provenance filled in
  Regressor regressor = Regressor::kLoad;
  EvaluateAt evaluate_at = EvaluateAt::kMean;
  std::vector<GroupFit> per_stack;  // every fitted stack x group, for the report
  std::vector<GroupFit> shared;     // client, nginx, pgbouncer, postgres, kernel over all stacks
  std::vector<std::string> record_ids;      // fitted from
  std::vector<std::string> skipped;         // "id (source): reason"
  std::vector<std::string> not_identified;  // what the model kept from the prior, and why
  std::vector<std::string> notes;           // coefficients set to 0, and why
};

// Fits the records' stacks. Every record must name a stack of the prior and
// come from one host (CPU model, cpus online); else InputError naming the
// record and field. Records in pool mode or without completions are skipped
// (listed). No usable record at all is an InputError.
Calibration fit_calibration(const std::vector<CalibrationRecord>& records, const Model& prior,
                            const FitOptions& options);

// The per-record provenance and fits as JSON (also the model's provenance).
nlohmann::json to_json(const Calibration& c);
// The summary table: per stack and group, fitted demand, its SE, the slope,
// residual sd, n; then the shared fits the model takes, then what is not
// identified.
std::string format_summary(const Calibration& c);

}  // namespace stacksim::calibrate
