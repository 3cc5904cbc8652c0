#include "sim/experiment/tune_report.hpp"

#include <cmath>
#include <cstdio>

#include "sim/experiment/report.hpp"
#include "sim/experiment/tune_evaluator.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

using json_fields::number_or_null;
using nlohmann::json;

json point_json(const StackTune& t, const TunePoint& p) {
  json knobs = json::object();
  for (std::size_t i = 0; i < t.knobs.size(); ++i) knobs[t.knobs[i].knob] = p.values[i];
  return {{"knobs", knobs},
          {"replications", p.replications},
          {"throughput_rps", p.throughput},
          {"p50_ms", p.p50},
          {"p99_ms", p.p99},
          {"meets_goal", p.meets},
          {"workers", p.workers},
          {"sessions", p.sessions},
          {"ram_mb", p.ram_mb ? json(*p.ram_mb) : json(nullptr)},
          {"connections", p.connections},
          {"binding", p.binding},
          {"binding_formula", p.binding_formula},
          {"worker_hold_ms", p.worker_hold_ms},
          {"session_hold_ms", number_or_null(p.session_hold_ms)}};
}

json stack_json(const StackTune& t) {
  json knobs = json::array();
  for (const TuneKnob& k : t.knobs)
    knobs.push_back({{"knob", k.knob}, {"integer", k.integer}, {"lo", k.lo}, {"hi", k.hi}});
  json alternatives = json::array();
  for (const TunePoint& p : t.alternatives) alternatives.push_back(point_json(t, p));
  json rules = json::array();
  for (const RuleOfThumb& r : t.rules)
    rules.push_back({{"rule", r.name},
                     {"formula", r.formula},
                     {"at", point_json(t, r.at)},
                     {"verdict", r.verdict}});
  return {{"stack", t.stack},
          {"type", std::string(to_string(t.type))},
          {"knobs", knobs},
          {"reached", t.reached},
          {"chosen", point_json(t, t.chosen)},
          {"alternatives", alternatives},
          {"rules_of_thumb", rules},
          {"why", t.why},
          {"runs", t.runs}};
}

std::string pm(const Summary& s, int precision) {
  char buf[64];
  if (std::isfinite(s.ci95))
    std::snprintf(buf, sizeof buf, "%.*f ±%.*f", precision, s.mean, precision, s.ci95);
  else
    std::snprintf(buf, sizeof buf, "%.*f", precision, s.mean);
  return buf;
}

std::string ram(const TunePoint& p) {
  char buf[32];
  if (!p.ram_mb) return "-";
  std::snprintf(buf, sizeof buf, "%.0f MB", *p.ram_mb);
  return buf;
}

void print_point(std::ostream& out, const StackTune& t, const TunePoint& p, const char* tag) {
  char line[512];
  std::snprintf(line, sizeof line, "  %-12s %-34s %18s %14s %16s %8s  %s\n", tag,
                tune_label(t, p).c_str(), pm(p.throughput, 1).c_str(), pm(p.p50, 2).c_str(),
                pm(p.p99, 2).c_str(), ram(p).c_str(), p.binding.c_str());
  out << line;
}

void print_stack(std::ostream& out, const TuneSpec& spec, const StackTune& t) {
  out << "\n-- " << t.stack << " (" << to_string(t.type) << "): " << t.runs << " runs";
  for (const TuneKnob& k : t.knobs)
    out << "; " << k.knob << " in [" << knob_value_text(k, k.lo) << ", " << knob_value_text(k, k.hi)
        << "]";
  out << "\n";
  if (!t.reached) out << "  NOT REACHED: " << tune_goal_text(spec) << "; the nearest miss:\n";
  char head[512];
  std::snprintf(head, sizeof head, "  %-12s %-34s %18s %14s %16s %8s  %s\n", "", "configuration",
                "rps ±95%", "P50 ms", "P99 ms", "RAM", "binds");
  out << head;
  print_point(out, t, t.chosen, t.reached ? "chosen" : "nearest");
  for (const TunePoint& p : t.alternatives) print_point(out, t, p, "alternative");
  out << "  rules of thumb (other knobs as chosen):\n";
  for (const RuleOfThumb& r : t.rules) {
    print_point(out, t, r.at, r.name.c_str());
    out << "    " << r.formula << "\n    " << r.verdict << "\n";
  }
  out << "  why:\n";
  for (const std::string& w : t.why) out << "    " << w << "\n";
}

std::string num(double v) {
  char buf[64];
  if (!std::isfinite(v)) return "";
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

void csv_row(std::ostream& out, const StackTune& t, const std::string& record, const TunePoint& p) {
  out << t.stack << ',' << record << ',' << tune_label(t, p) << ',' << p.workers << ','
      << p.sessions << ',' << p.replications << ',' << num(p.throughput.mean) << ','
      << num(p.throughput.ci95) << ',' << num(p.p50.mean) << ',' << num(p.p50.ci95) << ','
      << num(p.p99.mean) << ',' << num(p.p99.ci95) << ',' << (p.meets ? "true" : "false") << ','
      << (p.ram_mb ? num(*p.ram_mb) : "") << ',' << p.binding << "\n";
}

}  // namespace

json tune_json(const Model& model, const TuneSpec& spec, const TuneResult& result) {
  json j = report_head(kTuneSchema, kTuneVersion, model, spec.scenario);
  const char* goal = spec.goal == TuneGoal::kMaxThroughput           ? "max_throughput"
                     : spec.goal == TuneGoal::kMaxThroughputUnderP99 ? "max_throughput_p99"
                                                                     : "least_for_throughput";
  j["goal"] = {{"kind", goal},
               {"text", tune_goal_text(spec)},
               {"p99_limit_ms", spec.p99_limit_ms > 0 ? json(spec.p99_limit_ms) : json(nullptr)},
               {"target_rps", spec.target_rps > 0 ? json(spec.target_rps) : json(nullptr)}};
  j["search"] = {{"ladder_points", spec.ladder_points},
                 {"coarse_replications", spec.scenario.replications},
                 {"refine_replications", spec.refine_reps()}};
  j["runs"] = result.runs;
  json stacks = json::array();
  for (const StackTune& t : result.stacks) stacks.push_back(stack_json(t));
  j["stacks"] = stacks;
  return j;
}

void print_tune_table(std::ostream& out, const TuneSpec& spec, const TuneResult& result) {
  out << "== tune: " << spec.scenario.name << ", " << tune_goal_text(spec) << "; "
      << spec.scenario.replications << " replications on the ladder, " << spec.refine_reps()
      << " when refining; " << result.runs << " runs\n";
  for (const StackTune& t : result.stacks) print_stack(out, spec, t);
}

void print_tune_csv(std::ostream& out, const TuneResult& result) {
  out << "stack,record,configuration,workers,sessions,replications,throughput_rps,"
         "throughput_ci95,p50_ms,p50_ci95,p99_ms,p99_ci95,meets_goal,ram_mb,binding\n";
  for (const StackTune& t : result.stacks) {
    csv_row(out, t, t.reached ? "chosen" : "nearest", t.chosen);
    for (const TunePoint& p : t.alternatives) csv_row(out, t, "alternative", p);
    for (const RuleOfThumb& r : t.rules) csv_row(out, t, "rule_" + r.name, r.at);
  }
}

}  // namespace stacksim
