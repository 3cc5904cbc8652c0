// A crossover map: over two knobs, how many times the best async-side stack's
// throughput is the best sync-side stack's, and the curve where that ratio
// crosses given levels. The grid comes from the experiment runner; the curve
// is found by bisection on the simulator itself, one bisection per
// replication seed (common random numbers across the stacks), so y* has a
// Student-t interval over replications. Beside it, the crossover the
// analytic bounds predict: sync's W / (D + h) meets async's n / c at
// D* = W·c/n − h when both sides sit at those bounds.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"
#include "sim/metrics/replication_stats.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

struct CrossoverAxis {
  std::string knob;            // a numeric knob of scenario_io (delay_ms, clients, ...)
  bool integer = false;        // whole numbers only: bisection ends on adjacent values
  std::vector<double> values;  // X: as given; Y: the grid from lo to hi, ascending
};

struct CrossoverSpec {
  Scenario scenario;                    // the fixed knobs, replications and seed included
  std::vector<std::string> sync_side;   // stacks of type sync
  std::vector<std::string> async_side;  // greenlet and coroutine stacks
  CrossoverAxis x;
  CrossoverAxis y;
  std::vector<double> levels = {1.0};
  // Continuous Y: bisection stops when the bracket is this narrow (0: a
  // thousandth of the Y range).
  double tolerance = 0;
  // Sequential stopping on the grid: > 0 adds replications at a cell until
  // every stack's throughput 95% half-width is within this share of its
  // mean, or the cell has max_replications. The bisections use the first
  // `scenario.replications` seeds.
  double precision = 0;
  int max_replications = 50;
  unsigned threads = 0;          // 0: one per core
  Progress* progress = nullptr;  // told of every run, grid and bisection; null: nobody
  double y_lo() const { return y.values.front(); }
  double y_hi() const { return y.values.back(); }
  double y_tolerance() const;
};

// An axis of a crossover map: the knob must be numeric and not
// `replications`; the values in its range, at least one, and whole numbers
// for a whole-number knob. `flag` names the field in messages ("--x").
CrossoverAxis make_x_axis(const std::string& flag, const std::string& knob,
                          std::vector<double> values);
// The Y grid: `points` values evenly from lo to hi (rounded and deduplicated
// for a whole-number knob); lo < hi.
CrossoverAxis make_y_axis(const std::string& flag, const std::string& knob, double lo, double hi,
                          int points);

// Every rule that can be checked before a run: the sides (non-empty, in the
// model, of the right kind), distinct axes, levels > 0, the tolerance; each
// grid point's scenario. InputError naming the flag otherwise.
void check_crossover(const Model& model, const CrossoverSpec& spec);

// One side's best stack at a point of the map, and what binds it.
struct SideAtPoint {
  std::string stack;
  double throughput_rps = 0;  // mean over replications
  double rel_ci95 = 0;        // its 95% half-width / mean
  std::string binding;        // the explanation's binding resource, simulated
  std::string binding_formula;
  double worker_hold_ms = 0;  // simulated, per request
  double cpu_ms = 0;          // simulated CPU per request, every component
};

struct CrossoverCell {
  double x = 0, y = 0;
  double ratio = 0;              // best async mean / best sync mean
  double ratio_ci95 = 0;         // Student-t half-width of the per-replication ratio
  std::size_t replications = 0;  // more than the scenario's where --precision asked for them
  SideAtPoint sync, async;
};

// The analytic crossover for one level: L·W·c/n − h (c/n read as 1 / async's
// CPU bound); absent, with the reason, where the bounds do not both apply.
struct AnalyticCrossover {
  std::optional<double> y;
  std::string formula;  // the numbers, or why there is none
};

struct CurvePoint {
  double x = 0;
  std::optional<Summary> y_star;          // over replications; absent: no crossing
  std::vector<double> per_replication;    // each replication's y*
  double bracket_lo = 0, bracket_hi = 0;  // the final brackets' hull
  std::string none_reason;                // when y_star is absent
  AnalyticCrossover analytic;             // Y = delay_ms only
  std::string why;  // what binds each side around the crossing; the departure from D*
};

struct CrossoverCurve {
  double level = 1;
  std::vector<CurvePoint> points;  // one per X value
  std::string summary;             // what moves the curve, in words
};

struct CrossoverResult {
  std::vector<CrossoverCell> cells;  // X-major: cells[ix * ny + iy]
  std::vector<CrossoverCurve> curves;
  double worst_rel_ci95 = 0;  // widest throughput interval / mean of any best stack on the grid
  std::size_t runs = 0;       // simulation runs, grid and bisection
  const CrossoverCell& cell(std::size_t ix, std::size_t iy, std::size_t ny) const {
    return cells[ix * ny + iy];
  }
};

// Runs the grid, checks that every level is reached by some cell (an
// InputError naming `--level` otherwise), and traces the curves.
CrossoverResult run_crossover(const Model& model, const CrossoverSpec& spec);

// The knob's value as `--set` takes it: whole numbers without a fraction,
// others in the shortest form that reads back the same.
std::string knob_text(const CrossoverAxis& axis, double value);

}  // namespace stacksim
