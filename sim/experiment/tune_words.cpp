#include "sim/experiment/tune_words.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

std::string format(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

std::ptrdiff_t knob_index(const StackTune& t, const std::string& name) {
  for (std::size_t i = 0; i < t.knobs.size(); ++i)
    if (t.knobs[i].knob == name) return static_cast<std::ptrdiff_t>(i);
  return -1;
}

std::string ram_text(const TunePoint& p) {
  return p.ram_mb ? format("%.0f MB", *p.ram_mb) : std::string("RAM unknown");
}

// The rule's prediction against the choice, in words.
std::string rule_verdict(const StackTune& t, const TunePoint& rule) {
  const TunePoint& c = t.chosen;
  const double rel = rule.throughput.mean / c.throughput.mean - 1;
  const double ci = std::isfinite(c.throughput.ci95) ? c.throughput.ci95 / c.throughput.mean : 0;
  std::string s = format("%.0f rps (%+.0f%% vs tuned), P99 %.1f ms", rule.throughput.mean,
                         100 * rel, rule.p99.mean);
  s += rule.meets ? "" : ", misses the goal";
  s += ", " + std::to_string(rule.workers) + " workers, " + ram_text(rule) + ": ";
  const int dw = rule.workers - c.workers;
  if (std::abs(rel) <= std::max(ci, 0.01)) {
    s += "as good as the tuned choice";
    if (dw > 0) s += ", with " + std::to_string(dw) + " more workers than it needs";
    if (dw < 0) s += ", with " + std::to_string(-dw) + " fewer workers";
  } else if (rel < 0) {
    s += format("%.0f%% less throughput than the tuned choice", -100 * rel);
  } else {
    s += format("%.0f%% more throughput, ", 100 * rel) +
         (rule.meets ? "at more cost than the goal needs" : "but not within the goal");
  }
  return s;
}

// Workers and sessions set; every other knob at the choice's value.
RuleOfThumb rule_at(TuneEvaluator& ev, const TuneSpec& spec, const StackTune& t, std::string name,
                    std::string formula, int workers, int sessions) {
  std::vector<double> values = t.chosen.values;
  if (workers > 0) values[0] = std::clamp(workers, 1, 10000);
  const std::ptrdiff_t s = knob_index(t, "sessions");
  if (sessions > 0 && s >= 0) values[static_cast<std::size_t>(s)] = std::clamp(sessions, 1, 100000);
  RuleOfThumb r{std::move(name), std::move(formula), ev.evaluate({values}, spec.refine_reps())[0],
                ""};
  r.verdict = rule_verdict(t, r.at);
  return r;
}

}  // namespace

void add_rules(TuneEvaluator& ev, const TuneSpec& spec, StackTune& t) {
  const int n = spec.scenario.cores;
  t.rules.push_back(rule_at(ev, spec, t, "gunicorn",
                            format("2 x cores + 1 = 2 x %.0f + 1 = %.0f workers", n, 2 * n + 1),
                            2 * n + 1, 0));
  if (knob_index(t, "sessions") >= 0)
    t.rules.push_back(rule_at(ev, spec, t, "pool",
                              format("2 x cores + spindles = 2 x %.0f + 0 (SSD, the table in RAM)"
                                     " = %.0f sessions",
                                     n, 2 * n),
                              0, 2 * n));
  const double x =
      spec.goal == TuneGoal::kLeastForThroughput ? spec.target_rps : t.chosen.throughput.mean;
  const int m = t.type == WorkerType::kSync ? 1 : 0;
  const double slots = x * t.chosen.worker_hold_ms * 1e-3;
  const int w = static_cast<int>(std::ceil(m == 1 ? slots : 1.0));
  const int s = static_cast<int>(std::ceil(x * t.chosen.session_hold_ms * 1e-3));
  std::string formula =
      format("W = X x hold = %.0f rps x %.2f ms = %.1f", x, t.chosen.worker_hold_ms, slots);
  formula += m == 1 ? format(" -> %.0f workers", w)
                    : std::string(" requests in flight, all in one async worker -> 1 worker");
  formula += format("; S = X x session hold %.2f ms -> %.0f sessions", t.chosen.session_hold_ms, s);
  t.rules.push_back(rule_at(ev, spec, t, "little", formula, w, s));
}

void add_why(const StackModel& stack, StackTune& t) {
  const TunePoint& c = t.chosen;
  t.why.insert(t.why.begin(), c.sentence);
  for (std::size_t i = 0; i < t.knobs.size(); ++i) {
    const TuneKnob& k = t.knobs[i];
    const std::string range =
        "[" + knob_value_text(k, k.lo) + ", " + knob_value_text(k, k.hi) + "]";
    if (k.lo < k.hi && c.values[i] >= k.hi)
      t.why.push_back(k.knob + " sits at the top of its range " + range +
                      ": the model may want more; widen it with --knob " + k.knob + "=LO:HI");
    else if (k.lo < k.hi && c.values[i] <= k.lo)
      t.why.push_back(k.knob + " sits at the bottom of its range " + range);
  }
  const std::string ram =
      c.ram_mb
          ? format(" %.0f MB here (master %.0f MB + %.0f x %.1f MB", *c.ram_mb,
                   stack.memory->master_mb, c.workers, stack.memory->worker_mb) +
                (stack.memory->connection_mb != 0
                     ? format(" + %.0f connections x %.2f MB)", c.connections,
                              stack.memory->connection_mb)
                     : std::string(")"))
          : " (the model has no memory figures for this stack: stacks." + stack.name + ".memory)";
  if (stack.type == WorkerType::kSync)
    t.why.push_back(
        "a sync worker holds one request for its whole time, database wait included, so this "
        "stack buys throughput with workers and so with memory:" +
        ram);
  else
    t.why.push_back("each worker overlaps up to " + std::to_string(stack.max_concurrency) +
                    " requests, so throughput is bought with CPU, not workers; memory:" + ram);
  if (!t.monotonicity.empty()) t.why.push_back("monotonicity check: " + t.monotonicity);
}

bool is_tunable_knob(const std::string& name) {
  // The load, the host and the run's length are what is asked, not knobs of
  // the server: tuning them would answer another question.
  for (const char* asked :
       {"replications", "requests", "warmup_requests", "cores", "delay_ms", "clients", "rate_rps",
        "seed", "workers.sync", "workers.greenlet", "workers.coroutine"})
    if (name == asked) return false;  // workers.<type>: "workers" is the stack's type
  return name == "workers" || numeric_knob(name).has_value();
}

std::string tunable_knob_list() {
  std::string s;
  for (const std::string& name : knob_names())
    if (is_tunable_knob(name)) s += (s.empty() ? "" : ", ") + name;
  return s;
}

std::string best_reached_text(const TuneResult& result) {
  std::string s;
  for (const StackTune& t : result.stacks)
    s += (s.empty() ? "" : "; ") + t.stack + " " +
         format("%.0f rps at P99 %.1f ms", t.chosen.throughput.mean, t.chosen.p99.mean) + " (" +
         tune_label(t, t.chosen) + ")";
  return s;
}

std::string tune_label(const StackTune& t, const TunePoint& p) {
  std::string s;
  for (std::size_t i = 0; i < t.knobs.size(); ++i)
    s += (i ? " " : "") + t.knobs[i].knob + "=" + knob_value_text(t.knobs[i], p.values[i]);
  return s;
}

std::string tune_goal_text(const TuneSpec& spec) {
  switch (spec.goal) {
    case TuneGoal::kMaxThroughput:
      return "the highest throughput";
    case TuneGoal::kMaxThroughputUnderP99:
      return format("the highest throughput with P99 <= %g ms", spec.p99_limit_ms);
    case TuneGoal::kLeastForThroughput:
      return format("the least workers, then sessions, for >= %g rps", spec.target_rps) +
             (spec.p99_limit_ms > 0 ? format(" with P99 <= %g ms", spec.p99_limit_ms) : "");
  }
  return "";
}

}  // namespace stacksim
