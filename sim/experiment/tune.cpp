#include "sim/experiment/tune.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>

#include "common/input_error.hpp"
#include "sim/experiment/tune_evaluator.hpp"
#include "sim/experiment/tune_words.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

[[noreturn]] void fail(const std::string& flag, const std::string& what) {
  throw InputError(flag + ": " + what);
}

// Whole numbers lo..hi, or `n` values from lo to hi: geometric when lo > 0
// (the knee of a throughput curve sits at a ratio, not a difference), else
// even.
std::vector<double> spread(const TuneKnob& k, double lo, double hi, int n) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    const double f = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
    double v = lo > 0 ? lo * std::pow(hi / lo, f) : lo + (hi - lo) * f;
    if (k.integer) v = std::round(v);
    v = std::clamp(v, lo, hi);
    if (out.empty() || v != out.back()) out.push_back(v);
  }
  return out;
}

std::vector<const TunePoint*> pointers(const std::vector<TunePoint>& v) {
  std::vector<const TunePoint*> out;
  for (const TunePoint& p : v) out.push_back(&p);
  return out;
}

std::vector<std::vector<double>> product(const std::vector<std::vector<double>>& axes) {
  std::vector<std::vector<double>> points = {{}};
  for (const std::vector<double>& axis : axes) {
    std::vector<std::vector<double>> next;
    for (const std::vector<double>& p : points)
      for (double v : axis) {
        next.push_back(p);
        next.back().push_back(v);
      }
    points = std::move(next);
  }
  return points;
}

// Cheaper first: fewer workers, then fewer sessions, then the other knobs
// smaller, in the spec's order.
bool cheaper(const TunePoint& a, const TunePoint& b) {
  if (a.workers != b.workers) return a.workers < b.workers;
  if (a.sessions != b.sessions) return a.sessions < b.sessions;
  return a.values < b.values;
}

// Goals a and b: the points that meet the goal within `tolerance` of the
// best throughput, the cheapest of them. Nothing meets: nullptr.
const TunePoint* select_best(const std::vector<const TunePoint*>& points) {
  const TunePoint* top = nullptr;
  for (const TunePoint* p : points)
    if (p->meets && (!top || p->throughput.mean > top->throughput.mean)) top = p;
  if (!top) return nullptr;
  const double ci = std::isfinite(top->throughput.ci95) ? top->throughput.ci95 : 0.0;
  const double floor = top->throughput.mean - std::max(ci, 0.01 * top->throughput.mean);
  const TunePoint* chosen = top;
  for (const TunePoint* p : points)
    if (p->meets && p->throughput.mean >= floor && cheaper(*p, *chosen)) chosen = p;
  return chosen;
}

// Goal c: the cheapest point that meets it.
const TunePoint* select_least(const std::vector<const TunePoint*>& points) {
  const TunePoint* chosen = nullptr;
  for (const TunePoint* p : points)
    if (p->meets && (!chosen || cheaper(*p, *chosen))) chosen = p;
  return chosen;
}

// Where nothing meets the goal, which point is nearer: goal c, the higher
// throughput among those within the P99 limit (then any); goal b, the lower
// P99.
bool nearer(const TuneSpec& spec, const TunePoint& a, const TunePoint& b) {
  if (spec.goal != TuneGoal::kLeastForThroughput) return a.p99.mean < b.p99.mean;
  const auto p99_ok = [&spec](const TunePoint& p) {
    return !(spec.p99_limit_ms > 0) || p.p99.mean <= spec.p99_limit_ms;
  };
  if (p99_ok(a) != p99_ok(b)) return p99_ok(a);
  return a.throughput.mean > b.throughput.mean;
}

// The goal's choice, else the nearest miss: what refinement centres on.
const TunePoint* centre(const TuneSpec& spec, const std::vector<const TunePoint*>& ps) {
  const TunePoint* c =
      spec.goal == TuneGoal::kLeastForThroughput ? select_least(ps) : select_best(ps);
  if (c) return c;
  return *std::min_element(ps.begin(), ps.end(),
                           [&spec](auto* a, auto* b) { return nearer(spec, *a, *b); });
}

// The choice among `points` (all at one replication count), the next best
// as alternatives; where none meets the goal, the nearest miss: the lowest
// P99 for goal b, the highest throughput for c.
void finish_choice(StackTune& t, const std::vector<TunePoint>& points, const TuneSpec& spec) {
  const bool least = spec.goal == TuneGoal::kLeastForThroughput;
  std::vector<const TunePoint*> ps = pointers(points);
  const TunePoint* chosen = least ? select_least(ps) : select_best(ps);
  t.reached = chosen != nullptr;
  if (!chosen) chosen = centre(spec, ps);
  t.chosen = *chosen;
  if (t.reached && !least) {
    const TunePoint* top = *std::max_element(ps.begin(), ps.end(), [](auto* a, auto* b) {
      return !b->meets ? false : !a->meets || a->throughput.mean < b->throughput.mean;
    });
    char buf[160];
    std::snprintf(buf, sizeof buf, " (%.1f rps)", top->throughput.mean);
    t.why.push_back(
        "chosen: the fewest workers, then sessions, within the 95% interval (at least "
        "1%) of the highest throughput that meets the goal, " +
        tune_label(t, *top) + buf);
  }
  const bool reached = t.reached;
  std::stable_sort(ps.begin(), ps.end(), [&spec, least, reached](auto* a, auto* b) {
    if (!reached) return nearer(spec, *a, *b);
    return least ? cheaper(*a, *b) : a->throughput.mean > b->throughput.mean;
  });
  for (const TunePoint* p : ps) {
    const auto same = [p](const TunePoint& q) { return q.values == p->values; };
    if (p->values != chosen->values && p->meets == t.reached &&
        std::none_of(t.alternatives.begin(), t.alternatives.end(), same) &&
        static_cast<int>(t.alternatives.size()) < spec.alternatives)
      t.alternatives.push_back(*p);
  }
}

// The values tried of knob i, sorted.
std::vector<double> tried(const std::vector<const TunePoint*>& points, std::size_t i) {
  std::set<double> s;
  for (const TunePoint* p : points) s.insert(p->values[i]);
  return {s.begin(), s.end()};
}

// Around `at`: per knob, `n` values between the nearest values tried on
// either side of it.
std::vector<std::vector<double>> around(const std::vector<TuneKnob>& knobs,
                                        const std::vector<const TunePoint*>& seen,
                                        const TunePoint& at, int n) {
  std::vector<std::vector<double>> axes;
  for (std::size_t i = 0; i < knobs.size(); ++i) {
    const std::vector<double> vs = tried(seen, i);
    const auto it = std::find(vs.begin(), vs.end(), at.values[i]);
    const double lo = it == vs.begin() ? *it : *(it - 1);
    const double hi = it + 1 == vs.end() ? *it : *(it + 1);
    axes.push_back(spread(knobs[i], lo, hi, n));
  }
  return product(axes);
}

// Rounds of refinement around the centre of `fine` (all at `reps`), until
// a round adds no point (at most 6); `fine` gains every point run.
void refine(TuneEvaluator& ev, const TuneSpec& spec, const StackTune& t,
            std::vector<TunePoint>& fine, int reps) {
  for (int round = 0; round < 6; ++round) {
    const std::vector<const TunePoint*> fine_p = pointers(fine);
    const std::size_t before = ev.cached(reps);
    const std::vector<TunePoint> more =
        ev.evaluate(around(t.knobs, fine_p, *centre(spec, fine_p), 5), reps);
    if (ev.cached(reps) == before) return;
    for (const TunePoint& p : more)
      if (std::none_of(fine.begin(), fine.end(), [&](auto& f) { return f.values == p.values; }))
        fine.push_back(p);
  }
}

// Goals a and b: the coarse ladder at the scenario's replications, then
// rounds of refinement around the choice at the refine replications until
// a round adds no point (at most 6).
void search_best(TuneEvaluator& ev, const TuneSpec& spec, StackTune& t) {
  std::vector<std::vector<double>> ladders;
  for (const TuneKnob& k : t.knobs) ladders.push_back(spread(k, k.lo, k.hi, spec.ladder_points));
  const std::vector<TunePoint> coarse = ev.evaluate(product(ladders), spec.scenario.replications);
  std::vector<const TunePoint*> coarse_p = pointers(coarse);
  const TunePoint* start = centre(spec, coarse_p);
  // The coarse top few again at the refine replications, so the
  // alternatives compare like with like.
  std::vector<const TunePoint*> by_x = coarse_p;
  std::sort(by_x.begin(), by_x.end(),
            [](auto* a, auto* b) { return a->throughput.mean > b->throughput.mean; });
  std::vector<std::vector<double>> batch = around(t.knobs, coarse_p, *start, 5);
  for (std::size_t i = 0; i < by_x.size() && i < 3; ++i) batch.push_back(by_x[i]->values);
  const int reps = spec.refine_reps();
  std::vector<TunePoint> fine = ev.evaluate(batch, reps);
  refine(ev, spec, t, fine, reps);
  finish_choice(t, fine, spec);
}

// Goal c: the least value of knob i meeting the goal with the others at
// `at`'s, by bisection between the range's bottom and `at`, which meets it.
TunePoint least_of_knob(TuneEvaluator& ev, const TuneKnob& k, std::size_t i, TunePoint at,
                        int reps) {
  const double step = k.integer ? 1.0 : (k.hi - k.lo) / 1000;
  auto eval_at = [&](double v) {
    std::vector<double> vs = at.values;
    vs[i] = v;
    return ev.evaluate({vs}, reps).front();
  };
  const TunePoint bottom = eval_at(k.lo);
  if (bottom.meets) return bottom;
  double lo = k.lo;
  while (at.values[i] - lo > step) {
    double mid = lo + (at.values[i] - lo) / 2;
    if (k.integer) mid = std::floor(mid);
    const TunePoint p = eval_at(mid);
    if (p.meets) {
      at = p;
    } else {
      lo = mid;
    }
  }
  return at;
}

// The bisections' assumption, checked at the answer: one step above each
// knob's value should meet the goal too.
void check_above(TuneEvaluator& ev, StackTune& t, const TunePoint& at, int reps) {
  for (std::size_t i = 0; i < t.knobs.size(); ++i) {
    const TuneKnob& k = t.knobs[i];
    std::vector<double> vs = at.values;
    vs[i] += k.integer ? 1.0 : (k.hi - k.lo) / 1000;
    if (vs[i] > k.hi) continue;
    const bool meets = ev.evaluate({vs}, reps).front().meets;
    t.monotonicity += (t.monotonicity.empty() ? "" : "; ") + k.knob + " " +
                      knob_value_text(k, vs[i]) +
                      (meets ? " meets it too (monotone there)"
                             : " misses it: not monotone here, the least is where bisection "
                               "stopped");
  }
}

// Goal c, workers first: for each combination of the other knobs' ladder
// values, the least workers that meet the goal, bisected down from the top
// of the workers' range (monotone in workers with the others fixed); the
// cheapest of those answers. None where the top misses at every combination.
std::optional<TunePoint> least_workers(TuneEvaluator& ev, const TuneSpec& spec, const StackTune& t,
                                       int reps) {
  std::vector<std::vector<double>> others;
  for (std::size_t i = 1; i < t.knobs.size(); ++i)
    others.push_back(spread(t.knobs[i], t.knobs[i].lo, t.knobs[i].hi, spec.ladder_points));
  std::optional<TunePoint> best;
  for (const std::vector<double>& combo : product(others)) {
    std::vector<double> vs = {t.knobs[0].hi};
    vs.insert(vs.end(), combo.begin(), combo.end());
    const TunePoint top = ev.evaluate({vs}, reps).front();
    if (!top.meets) continue;
    const TunePoint at = least_of_knob(ev, t.knobs[0], 0, top, reps);
    if (!best || cheaper(at, *best)) best = at;
  }
  return best;
}

// Goal c: the least workers per combination of the other knobs (more
// sessions are not always better: each is a postgres backend costing CPU,
// so they are laddered, not assumed), then each other knob bisected down at
// those workers, then the check. If no combination's top meets it, the
// whole ladder is refined around the nearest miss and the search starts
// from the cheapest point found that meets it.
void search_least(TuneEvaluator& ev, const TuneSpec& spec, StackTune& t) {
  const int reps = spec.refine_reps();
  std::optional<TunePoint> at = least_workers(ev, spec, t, reps);
  if (!at) {
    std::vector<std::vector<double>> ladders;
    for (const TuneKnob& k : t.knobs) ladders.push_back(spread(k, k.lo, k.hi, spec.ladder_points));
    std::vector<TunePoint> ladder = ev.evaluate(product(ladders), reps);
    if (!select_least(pointers(ladder))) refine(ev, spec, t, ladder, reps);
    if (const TunePoint* start = select_least(pointers(ladder)))
      at = least_of_knob(ev, t.knobs[0], 0, *start, reps);
  }
  if (at) {
    for (std::size_t i = 1; i < t.knobs.size(); ++i)
      at = least_of_knob(ev, t.knobs[i], i, *at, reps);
    check_above(ev, t, *at, reps);
  }
  std::vector<TunePoint> seen = ev.all(reps);
  finish_choice(t, seen, spec);
}

}  // namespace

TuneKnob make_tune_knob(const std::string& flag, const std::string& knob, double lo, double hi) {
  const bool workers = knob == "workers";
  const std::optional<NumericKnob> k = numeric_knob(workers ? "workers.sync" : knob);
  if (!k || !is_tunable_knob(knob))
    fail(flag, "\"" + knob + "\" is not a knob tune can search (a knob of the server and pool: " +
                   tunable_knob_list() + ")");
  TuneKnob t{knob, k->integer, lo, hi};
  if (!std::isfinite(lo) || !std::isfinite(hi) || lo > hi)
    fail(flag, "range " + knob_value_text(t, lo) + ":" + knob_value_text(t, hi) +
                   " is empty or reversed (give LO:HI with LO <= HI)");
  if (lo < k->min || hi > k->max)
    fail(flag, "range " + knob_value_text(t, lo) + ":" + knob_value_text(t, hi) +
                   " is outside the knob's [" + knob_value_text(t, k->min) + ", " +
                   knob_value_text(t, k->max) + "]");
  if (k->integer && std::ceil(lo) > std::floor(hi))
    fail(flag, "range holds no whole number (" + knob + " takes whole numbers)");
  if (k->integer) {
    t.lo = std::ceil(lo);
    t.hi = std::floor(hi);
  }
  return t;
}

TuneKnob default_tune_knob(const std::string& knob, const Scenario& sc) {
  if (knob == "workers")
    return make_tune_knob("--knob workers", knob, 1, std::min(sc.clients, 16 * sc.cores));
  if (knob == "sessions") return make_tune_knob("--knob sessions", knob, 1, sc.clients);
  if (!is_tunable_knob(knob)) make_tune_knob("--knob " + knob, knob, 0, 0);  // names it unknown
  fail("--knob " + knob, "has no default range; give " + knob + "=LO:HI");
}

void check_tune(const Model& model, const TuneSpec& spec) {
  if (spec.stacks.empty()) fail("--stack", "no stack to tune");
  for (const std::string& s : spec.stacks)
    if (!model.stacks.count(s)) fail("--stack " + s, "not in the model " + model.source);
  if (spec.goal != TuneGoal::kMaxThroughput && spec.goal != TuneGoal::kLeastForThroughput &&
      !(spec.p99_limit_ms > 0))
    fail("--p99-limit", "must be > 0");
  if (spec.goal == TuneGoal::kLeastForThroughput && !(spec.target_rps > 0))
    fail("--throughput", "must be > 0");
  std::set<std::string> names;
  for (const TuneKnob& k : spec.knobs)
    if (!names.insert(k.knob).second) fail("--knob " + k.knob, "given twice");
  if (spec.knobs.empty() || spec.knobs.front().knob != "workers")
    fail("--knob", "workers must be the first knob");
  if (spec.ladder_points < 2 || spec.ladder_points > 50) fail("--points", "must be in [2, 50]");
  if (spec.alternatives < 0) fail("--alternatives", "must be >= 0");
}

TuneResult run_tune(const Model& model, const TuneSpec& spec) {
  check_tune(model, spec);
  TuneResult result;
  for (const std::string& name : spec.stacks) {
    const StackModel& stack = model.stacks.at(name);
    StackTune t;
    t.stack = name;
    t.type = stack.type;
    t.knobs = resolve_knobs(spec.knobs, stack.type);
    TuneEvaluator ev(model, spec, stack, t.knobs);
    if (spec.goal == TuneGoal::kLeastForThroughput) {
      search_least(ev, spec, t);
    } else {
      search_best(ev, spec, t);
    }
    add_rules(ev, spec, t);
    add_why(stack, t);
    t.runs = ev.runs();
    result.runs += t.runs;
    result.stacks.push_back(std::move(t));
  }
  if (std::none_of(result.stacks.begin(), result.stacks.end(), [](auto& t) { return t.reached; }))
    fail(spec.goal == TuneGoal::kLeastForThroughput ? "--throughput" : "--p99-limit",
         "no configuration reaches " + tune_goal_text(spec) +
             "; the best reached: " + best_reached_text(result));
  return result;
}

}  // namespace stacksim
