#include "sim/experiment/crossover.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "common/input_error.hpp"
#include "sim/experiment/crossover_words.hpp"
#include "sim/experiment/explanation.hpp"
#include "sim/experiment/sequential.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

[[noreturn]] void fail(const std::string& flag, const std::string& what) {
  throw InputError(flag + ": " + what);
}

std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

NumericKnob axis_knob(const std::string& flag, const std::string& knob) {
  const std::optional<NumericKnob> k = numeric_knob(knob);
  if (!k) {
    std::string known;
    for (const std::string& name : knob_names())
      if (numeric_knob(name) && name != "replications") known += (known.empty() ? "" : ", ") + name;
    fail(flag, "\"" + knob + "\" is not a numeric knob (axes: " + known + ")");
  }
  if (knob == "replications") fail(flag, "replications is set by --replications, not an axis");
  return *k;
}

void check_value(const std::string& flag, const std::string& knob, const NumericKnob& k, double v) {
  if (!std::isfinite(v) || v < k.min || v > k.max)
    fail(flag, knob + " value " + number_text(v) + " is outside [" + number_text(k.min) + ", " +
                   number_text(k.max) + "]");
  if (k.integer && v != std::floor(v))
    fail(flag, knob + " takes whole numbers, got " + number_text(v));
}

// The scenario at one point of the map.
Scenario point_scenario(const CrossoverSpec& spec, double x, double y) {
  Scenario sc = spec.scenario;
  apply_setting(sc, spec.x.knob, knob_text(spec.x, x));
  apply_setting(sc, spec.y.knob, knob_text(spec.y, y));
  return sc;
}

// Points to simulate: each runs every stack of both sides at replications
// [first_rep, first_rep + reps).
struct Point {
  Scenario scenario;
  int first_rep = 0;
  int reps = 1;
};

// The stacks' results at each point: the sync side's, then the async side's.
std::vector<std::vector<StackResult>> simulate(const Model& model, const CrossoverSpec& spec,
                                               const std::vector<Point>& points,
                                               std::size_t& runs) {
  std::vector<std::string> stacks = spec.sync_side;
  stacks.insert(stacks.end(), spec.async_side.begin(), spec.async_side.end());
  std::vector<RunJob> jobs;
  for (const Point& p : points)
    for (const std::string& s : stacks)
      for (int r = 0; r < p.reps; ++r)
        jobs.push_back({&p.scenario, &model.stacks.at(s), p.first_rep + r});
  const std::vector<RunResult> done = run_jobs(model, jobs, spec.threads, spec.progress);
  runs += done.size();
  std::vector<std::vector<StackResult>> out;
  std::size_t j = 0;
  for (const Point& p : points) {
    std::vector<StackResult> at;
    for (const std::string& s : stacks) {
      const StackModel& sm = model.stacks.at(s);
      StackResult sr{s, sm.type, p.scenario.workers.for_type(sm.type), {}, {}};
      for (int r = 0; r < p.reps; ++r) sr.replications.push_back(done[j++]);
      at.push_back(std::move(sr));
    }
    out.push_back(std::move(at));
  }
  return out;
}

// Replication i's ratio: its best async throughput over its best sync one
// (the same seed for every stack).
double replication_ratio(const std::vector<StackResult>& at, std::size_t n_sync, std::size_t i) {
  double best_sync = 0, best_async = 0;
  for (std::size_t s = 0; s < at.size(); ++s) {
    double& best = s < n_sync ? best_sync : best_async;
    best = std::max(best, at[s].replications[i].throughput_rps);
  }
  return best_async / best_sync;
}

SideAtPoint best_of(const Model& model, const Scenario& sc, const std::vector<StackResult>& at,
                    std::size_t from, std::size_t to) {
  const StackResult* best = &at[from];
  for (std::size_t s = from; s < to; ++s)
    if (at[s].mean(&RunResult::throughput_rps) > best->mean(&RunResult::throughput_rps))
      best = &at[s];
  const Explanation e = explain(model, model.stacks.at(best->stack), sc, *best);
  const Summary x = best->summary([](const RunResult& r) { return r.throughput_rps; });
  SideAtPoint side{best->stack, x.mean, x.ci95 / x.mean, e.binding.resource, e.binding.formula};
  side.worker_hold_ms = best->mean(&RunResult::worker_hold_ms);
  side.cpu_ms = best->summary([](const RunResult& r) {
                      double us = 0;
                      for (double v : r.cpu_us_per_request) us += v;
                      return us * 1e-3;
                    })
                    .mean;
  return side;
}

CrossoverCell make_cell(const Model& model, const CrossoverSpec& spec, const Point& p, double x,
                        double y, const std::vector<StackResult>& at) {
  const std::size_t n_sync = spec.sync_side.size();
  CrossoverCell c;
  c.x = x;
  c.y = y;
  c.sync = best_of(model, p.scenario, at, 0, n_sync);
  c.async = best_of(model, p.scenario, at, n_sync, at.size());
  c.ratio = c.async.throughput_rps / c.sync.throughput_rps;
  ReplicationStats ratios;
  c.replications = at.front().replications.size();
  for (std::size_t i = 0; i < c.replications; ++i) ratios.add(replication_ratio(at, n_sync, i));
  c.ratio_ci95 = ratios.ci95_half_width();
  return c;
}

// Sequential stopping over the grid's cells (sequential.hpp): a cell's
// series are its stacks, all of both sides.
void refine(const Model& model, const CrossoverSpec& spec, const std::vector<Point>& grid,
            std::vector<std::vector<StackResult>>& at, std::size_t& runs) {
  const auto series_of = [&at](std::size_t i) {
    PointSeries series;
    for (const StackResult& s : at[i]) series.push_back(&s.replications);
    return series;
  };
  const auto run_more = [&](const std::vector<MoreReplications>& more) {
    std::vector<Point> points;
    for (const MoreReplications& m : more)
      points.push_back({grid[m.point].scenario, m.first, m.count});
    const auto extra = simulate(model, spec, points, runs);
    for (std::size_t k = 0; k < more.size(); ++k)
      for (std::size_t s = 0; s < extra[k].size(); ++s)
        for (const RunResult& r : extra[k][s].replications)
          at[more[k].point][s].replications.push_back(r);
  };
  replicate_until_precise(grid.size(), {spec.precision, spec.max_replications}, series_of,
                          run_more);
}

// Every level must lie within the map's ratios, or there is nothing to trace.
void check_levels_reached(const CrossoverSpec& spec, const std::vector<CrossoverCell>& cells) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const CrossoverCell& c : cells) {
    lo = std::min(lo, c.ratio);
    hi = std::max(hi, c.ratio);
  }
  char range[128];
  std::snprintf(range, sizeof range, " (the map's async/sync ratio runs from %.3f to %.3f)", lo,
                hi);
  for (double level : spec.levels) {
    if (level > hi)
      fail("--level " + number_text(level), std::string("no point of the map reaches it") + range);
    if (level < lo)
      fail("--level " + number_text(level),
           std::string("every point of the map is above it") + range);
  }
}

// One replication's bisection for one level at one X: f(y) = ratio − level
// changes sign between a and b.
struct Search {
  std::size_t level = 0, ix = 0;
  int rep = 0;
  bool found = false;
  double a = 0, b = 0;
  bool a_above = false;  // ratio(a) >= level
};

bool narrow_enough(const CrossoverSpec& spec, const Search& s) {
  return spec.y.integer ? s.b - s.a <= 1 : s.b - s.a <= spec.y_tolerance();
}

double midpoint(const CrossoverSpec& spec, const Search& s) {
  return spec.y.integer ? s.a + std::floor((s.b - s.a) / 2) : (s.a + s.b) / 2;
}

// The first grid interval where this replication's ratio crosses the level.
Search bracket_on_grid(const CrossoverSpec& spec, const std::vector<std::vector<double>>& ratios,
                       std::size_t level, std::size_t ix, int rep) {
  Search s{level, ix, rep};
  const std::size_t ny = spec.y.values.size();
  const double l = spec.levels[level];
  const auto above = [&](std::size_t iy) {
    return ratios[ix * ny + iy][static_cast<std::size_t>(rep)] >= l;
  };
  for (std::size_t iy = 0; iy + 1 < ny && !s.found; ++iy) {
    if (above(iy) == above(iy + 1)) continue;
    s = {level, ix, rep, true, spec.y.values[iy], spec.y.values[iy + 1], above(iy)};
  }
  return s;
}

// Narrows every search in lockstep: each round simulates all the midpoints
// at once, so the threads stay busy.
void bisect(const Model& model, const CrossoverSpec& spec, std::vector<Search>& searches,
            std::size_t& runs) {
  const std::size_t n_sync = spec.sync_side.size();
  for (;;) {
    std::vector<Search*> open;
    std::vector<Point> points;
    for (Search& s : searches) {
      if (!s.found || narrow_enough(spec, s)) continue;
      open.push_back(&s);
      points.push_back({point_scenario(spec, spec.x.values[s.ix], midpoint(spec, s)), s.rep, 1});
    }
    if (open.empty()) return;
    const auto at = simulate(model, spec, points, runs);
    for (std::size_t i = 0; i < open.size(); ++i) {
      Search& s = *open[i];
      const double m = midpoint(spec, s);
      const bool above = replication_ratio(at[i], n_sync, 0) >= spec.levels[s.level];
      (above == s.a_above ? s.a : s.b) = m;
    }
  }
}

// A curve point from its replications' searches: y* on a whole-number knob
// is the first value past the crossing, on a continuous one the middle of
// the final bracket.
CurvePoint curve_point(const CrossoverSpec& spec, const std::vector<const Search*>& reps,
                       double x) {
  CurvePoint p;
  p.x = x;
  ReplicationStats stats;
  p.bracket_lo = std::numeric_limits<double>::infinity();
  p.bracket_hi = -p.bracket_lo;
  std::size_t found = 0;
  for (const Search* s : reps) {
    if (!s->found) continue;
    ++found;
    const double y = spec.y.integer ? s->b : (s->a + s->b) / 2;
    p.per_replication.push_back(y);
    stats.add(y);
    p.bracket_lo = std::min(p.bracket_lo, s->a);
    p.bracket_hi = std::max(p.bracket_hi, s->b);
  }
  const std::string where =
      " in [" + number_text(spec.y_lo()) + ", " + number_text(spec.y_hi()) + "]";
  if (found == reps.size()) {
    p.y_star = stats.summary();
  } else if (found == 0) {
    p.none_reason = "the ratio does not cross the level" + where;
    p.per_replication.clear();
    p.bracket_lo = p.bracket_hi = std::nan("");
  } else {
    p.none_reason = "the ratio crosses the level" + where + " in only " + std::to_string(found) +
                    " of " + std::to_string(reps.size()) + " replications";
  }
  return p;
}

}  // namespace

std::string knob_text(const CrossoverAxis& axis, double value) {
  return axis.integer ? std::to_string(std::llround(value)) : number_text(value);
}

double CrossoverSpec::y_tolerance() const {
  return tolerance > 0 ? tolerance : (y_hi() - y_lo()) / 1000;
}

CrossoverAxis make_x_axis(const std::string& flag, const std::string& knob,
                          std::vector<double> values) {
  const NumericKnob k = axis_knob(flag, knob);
  if (values.empty()) fail(flag, "no values");
  for (double v : values) check_value(flag, knob, k, v);
  return {knob, k.integer, std::move(values)};
}

CrossoverAxis make_y_axis(const std::string& flag, const std::string& knob, double lo, double hi,
                          int points) {
  const NumericKnob k = axis_knob(flag, knob);
  check_value(flag, knob, k, lo);
  check_value(flag, knob, k, hi);
  if (!(lo < hi))
    fail(flag, "the range " + number_text(lo) + ":" + number_text(hi) +
                   (lo == hi ? " is empty" : " is reversed") + " (LO must be below HI)");
  if (points < 2 || points > 1000) fail(flag, "the grid needs 2 to 1000 points");
  CrossoverAxis axis{knob, k.integer, {}};
  for (int i = 0; i < points; ++i) {
    double v = lo + (hi - lo) * i / (points - 1);
    if (k.integer) v = std::round(v);
    if (axis.values.empty() || v > axis.values.back()) axis.values.push_back(v);
  }
  return axis;
}

void check_crossover(const Model& model, const CrossoverSpec& spec) {
  const auto check_side = [&](const char* flag, const std::vector<std::string>& side,
                              bool want_sync) {
    if (side.empty())
      fail(flag, want_sync ? "no sync stack to compare (the scenario names none)"
                           : "no greenlet or coroutine stack to compare (the scenario names none)");
    for (const std::string& name : side) {
      const auto it = model.stacks.find(name);
      if (it == model.stacks.end()) fail(flag, "\"" + name + "\" is not a stack of the model");
      if ((it->second.type == WorkerType::kSync) != want_sync)
        fail(flag, "\"" + name + "\" is a " + std::string(to_string(it->second.type)) + " stack");
    }
  };
  check_side("--sync", spec.sync_side, true);
  check_side("--async", spec.async_side, false);
  if (spec.x.knob == spec.y.knob) fail("--y", "the same knob as --x (" + spec.x.knob + ")");
  if (spec.levels.empty()) fail("--level", "no level to trace");
  for (double l : spec.levels)
    if (!(l > 0) || !std::isfinite(l)) fail("--level", "must be > 0, got " + number_text(l));
  if (spec.precision != 0)  // 0: no sequential stopping
    check_stopping_rule({spec.precision, spec.max_replications}, spec.scenario.replications,
                        "--precision", "--max-replications");
  if (spec.tolerance < 0 || !std::isfinite(spec.tolerance))
    fail("--tolerance", "must be >= 0, got " + number_text(spec.tolerance));
  for (double x : spec.x.values)
    for (double y : spec.y.values) check_scenario(point_scenario(spec, x, y));
}

CrossoverResult run_crossover(const Model& model, const CrossoverSpec& spec) {
  check_crossover(model, spec);
  const std::size_t nx = spec.x.values.size(), ny = spec.y.values.size();
  const int reps = spec.scenario.replications;
  CrossoverResult result;

  std::vector<Point> grid;
  for (double x : spec.x.values)
    for (double y : spec.y.values) grid.push_back({point_scenario(spec, x, y), 0, reps});
  auto at = simulate(model, spec, grid, result.runs);
  refine(model, spec, grid, at, result.runs);
  std::vector<std::vector<double>> ratios(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const CrossoverCell c =
        make_cell(model, spec, grid[i], spec.x.values[i / ny], spec.y.values[i % ny], at[i]);
    for (int r = 0; r < reps; ++r)
      ratios[i].push_back(replication_ratio(at[i], spec.sync_side.size(), std::size_t(r)));
    result.worst_rel_ci95 =
        std::max({result.worst_rel_ci95, c.sync.rel_ci95, c.async.rel_ci95});  // NaN: 1 rep
    result.cells.push_back(c);
  }
  if (reps < 2) result.worst_rel_ci95 = std::nan("");
  check_levels_reached(spec, result.cells);

  std::vector<Search> searches;
  for (std::size_t l = 0; l < spec.levels.size(); ++l)
    for (std::size_t ix = 0; ix < nx; ++ix)
      for (int r = 0; r < reps; ++r) searches.push_back(bracket_on_grid(spec, ratios, l, ix, r));
  bisect(model, spec, searches, result.runs);

  std::vector<const Scenario*> scenarios;
  for (const Point& p : grid) scenarios.push_back(&p.scenario);
  const CrossoverMap map{model, spec, result.cells, scenarios, at};
  for (std::size_t l = 0; l < spec.levels.size(); ++l) {
    CrossoverCurve curve{spec.levels[l], {}, {}};
    for (std::size_t ix = 0; ix < nx; ++ix) {
      std::vector<const Search*> mine;
      for (const Search& s : searches)
        if (s.level == l && s.ix == ix) mine.push_back(&s);
      CurvePoint p = curve_point(spec, mine, spec.x.values[ix]);
      describe_point(map, ix, curve.level, p);
      curve.points.push_back(std::move(p));
    }
    curve.summary = describe_curve(map, curve);
    result.curves.push_back(std::move(curve));
  }
  return result;
}

}  // namespace stacksim
