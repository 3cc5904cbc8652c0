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

#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "calibrate/record.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

inline constexpr double kNotIdentified = std::numeric_limits<double>::quiet_NaN();

// y = intercept + slope * x [+ sum of coef_j * z_j] by least squares. The
// extra terms z_j are further regressors (the load model's). A regressor is
// fitted only when the data can identify it: enough points (one more than
// the coefficients up to it) and some spread; otherwise it is left out and
// the note says so. Standard errors need more points than coefficients;
// else they are NaN (not identified). Residuals are y - fitted, in y's units.
struct ExtraTerm {
  std::string name;
  bool identified = false;
  double coef = 0, se = kNotIdentified;
  double mean = 0, ref = 0;  // ref: where the value is read (the mean unless moved)
};
struct LinearFit {
  int n = 0;
  bool slope_identified = false;
  double intercept = 0, intercept_se = kNotIdentified;  // at x = 0 and every z_j = 0
  double slope = 0, slope_se = kNotIdentified;
  double x_mean = 0;
  double x_ref = 0;  // where the model takes its value: x_mean unless moved by evaluate_at
  double value = 0, value_se = kNotIdentified;  // the fit at (x_ref, z_j refs)
  double residual_sd = kNotIdentified;          // sqrt(RSS / (n - p))
  std::vector<ExtraTerm> extra;
  std::vector<double> residuals;
  std::vector<double> cov;  // identified coefficients' covariance, centred design, row-major
  std::string note;         // why a part was not identified, or empty
  const ExtraTerm* term(const std::string& name) const;
};
using Column = std::pair<std::string, std::vector<double>>;  // an extra regressor, by name
// `exact`: a regressor is identified with as many points as coefficients
// (the fit goes through them; no standard error), for plans built to pin
// each coefficient by one point. Throws std::invalid_argument on empty or
// mismatched input.
LinearFit fit_linear(const std::vector<double>& x, const std::vector<double>& y, bool with_slope,
                     const std::vector<Column>& extra = {}, bool exact = false);
// Moves the value to x (extra terms at their refs, or at `extra_refs`): the
// fit there, with its standard error from the coefficients' covariance.
// Unidentified coefficients contribute nothing.
void evaluate_at(LinearFit& f, double x);
void evaluate_at(LinearFit& f, double x, const std::vector<double>& extra_refs);

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
  LinearFit fit;    // kernel: per hop; others: per request (us)
  double hops = 0;  // kernel: mean hops per request of the records
  std::vector<std::string> record_ids;
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
  // Each stack's app line through its records when they are just enough
  // (calibrate quick: one saturated and one light run per stack).
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
