// A validation report as JSON (the notebook's input) and as Markdown (the
// docs/validation/ pages): per point, the summary, the winners.
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include "calibrate/validation.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

json number(double v) {
  return json_fields::number_or_null(v);
}

json to_json(const Comparison& c) {
  return {{"repeats", c.repeats},
          {"measured_median", number(c.median)},
          {"measured_min", number(c.min)},
          {"measured_max", number(c.max)},
          {"predicted", number(c.predicted)},
          {"error", number(c.error)},
          {"within_range", c.within_range}};
}

json to_json(const ErrorSummary& s) {
  return {{"points", s.points},
          {"median_abs_error",
           {{"throughput", number(s.throughput)},
            {"p50", number(s.p50)},
            {"p99", number(s.p99)},
            {"sessions", number(s.sessions)},
            {"cpu_us_per_request", number(s.cpu)}}},
          {"median_abs_error_at_measured_speed",
           {{"throughput", number(s.throughput_at_speed)},
            {"p50", number(s.p50_at_speed)},
            {"p99", number(s.p99_at_speed)}}},
          {"median_abs_error_at_reference_speed",
           {{"throughput", number(s.throughput_at_reference)},
            {"p50", number(s.p50_at_reference)},
            {"p99", number(s.p99_at_reference)}}},
          {"throughput_within_range", s.throughput_within_range}};
}

std::string pct(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", 100 * v);
  return b;
}
std::string apct(double v) {
  if (!std::isfinite(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", 100 * v);
  return b;
}
std::string fixed(double v, int prec) {
  if (!std::isfinite(v)) return "-";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", prec, v);
  return b;
}

json to_json(const AtMeasuredSpeed& a) {
  return {{"speed", number(a.speed)},
          {"throughput_rps", to_json(a.throughput)},
          {"p50_ms", to_json(a.p50)},
          {"p99_ms", to_json(a.p99)}};
}

// One point: its configuration, each figure measured and predicted, and
// the predictions again at the runs' CPU and at the reference speed (null
// where not made).
json point_json(const ValidationPoint& p, bool at_measured_speed) {
  json at_speed = nullptr, at_reference = nullptr;
  if (at_measured_speed) at_speed = to_json(p.at_speed);
  if (std::isfinite(p.at_reference.speed)) {
    at_reference = to_json(p.at_reference);
    at_reference["reference_rate"] = p.reference_rate;
  }
  json by_group = json::object();
  for (int g = 0; g < kGroupCount; ++g)
    by_group[to_string(kGroups[g])] = to_json(p.cpu_us_by_group[g]);
  return {{"stack", p.stack},
          {"type", std::string(to_string(p.type))},
          {"configuration", p.group},
          {"cores", p.cores},
          {"workers", p.workers},
          {"clients", p.clients},
          {"sessions", p.sessions},
          {"delay_ms", p.delay_ms},
          {"records", p.record_ids},
          {"flagged_records", p.flagged},
          {"throughput_rps", to_json(p.throughput)},
          {"p50_ms", to_json(p.p50)},
          {"p99_ms", to_json(p.p99)},
          {"sessions_peak", to_json(p.sessions_peak)},
          {"host_busy", to_json(p.host_busy)},
          {"cpu_us_per_request", to_json(p.cpu_us)},
          {"cpu_us_per_request_by_group", by_group},
          {"at_measured_speed", at_speed},
          {"at_reference_speed", at_reference}};
}

// One sync/async pair: the ratios and winners, plain and predicted again.
json pair_json(const WinnerPair& w, bool at_measured_speed) {
  return {{"configuration", w.group},
          {"sync", w.sync_stack},
          {"async", w.async_stack},
          {"measured_ratio", number(w.measured_ratio)},
          {"predicted_ratio", number(w.predicted_ratio)},
          {"measured_winner", w.measured_winner},
          {"predicted_winner", w.predicted_winner},
          {"decisive", w.decisive},
          {"correct", w.correct},
          {"predicted_ratio_at_speed", number(w.predicted_ratio_at_speed)},
          {"correct_at_speed", at_measured_speed ? json(w.correct_at_speed) : json()},
          {"predicted_ratio_at_reference", number(w.predicted_ratio_at_reference)},
          {"correct_at_reference",
           std::isfinite(w.predicted_ratio_at_reference) ? json(w.correct_at_reference) : json()}};
}

}  // namespace

json to_json(const ValidationReport& r) {
  json points = json::array();
  for (const ValidationPoint& p : r.points) points.push_back(point_json(p, r.at_measured_speed));
  json pairs = json::array();
  for (const WinnerPair& w : r.pairs) pairs.push_back(pair_json(w, r.at_measured_speed));
  json cores = json::object();
  for (const auto& [c, s] : r.by_cores) cores[std::to_string(c)] = to_json(s);
  json types = json::object();
  for (const auto& [t, s] : r.by_type) types[std::string(to_string(t))] = to_json(s);
  return {{"schema", "stacksim.validation"},
          {"version", 1},
          {"model", r.model},
          {"model_label", r.model_label},
          {"plan", r.plan},
          {"plan_name", r.plan_name},
          {"in_sample", r.in_sample},
          {"stores", r.stores},
          {"summary",
           {{"all", to_json(r.all)},
            {"by_cores", cores},
            {"by_type", types},
            {"winner",
             {{"pairs", r.pairs.size()},
              {"correct", r.pairs_correct},
              {"decisive_pairs", r.decisive_pairs},
              {"decisive_correct", r.decisive_correct},
              {"correct_at_speed", r.at_measured_speed ? json(r.pairs_correct_at_speed) : json()},
              {"decisive_correct_at_speed",
               r.at_measured_speed ? json(r.decisive_correct_at_speed) : json()},
              {"pairs_at_reference", r.pairs_at_reference},
              {"correct_at_reference", r.pairs_correct_at_reference},
              {"decisive_at_reference", r.decisive_at_reference},
              {"decisive_correct_at_reference", r.decisive_correct_at_reference}}}}},
          {"points", points},
          {"pairs", pairs},
          {"missing", r.missing}};
}

namespace {

// Title, model, plan, record stores and what "error" means.
void write_header(std::ostream& o, const ValidationReport& r) {
  o << "# Validation of " << r.model << "\n\n"
    << "Model: " << r.model_label << "  \nPlan: " << r.plan << " (" << r.plan_name << "): "
    << (r.in_sample ? "**in sample**: the configurations the model was fitted from, so this "
                      "is how well it reproduces its own records, not a prediction.\n"
                    : "configurations the model was not fitted from, run live with repeats.\n");
  if (!r.stores.empty()) {
    o << "Records: ";
    for (std::size_t i = 0; i < r.stores.size(); ++i) o << (i ? ", " : "") << r.stores[i];
    o << "  \n";
  }
  o << "Error = (predicted - measured median) / measured median; \"in range\" = the "
       "prediction lies between the smallest and largest measured repeat.\n\n";
}

// Median absolute errors over all points and per core count; the winners.
void write_summary(std::ostream& o, const ValidationReport& r) {
  o << "## Summary\n\n"
    << "| points | cores | throughput | P50 | P99 | #DB | throughput in range | CPU per request |\n"
    << "|---|---|---|---|---|---|---|---|\n";
  auto row = [&o](const std::string& cores, const ErrorSummary& s) {
    o << "| " << s.points << " | " << cores << " | " << apct(s.throughput) << " | " << apct(s.p50)
      << " | " << apct(s.p99) << " | " << apct(s.sessions) << " | "
      << apct(s.throughput_within_range) << " | " << apct(s.cpu) << " |\n";
  };
  row("all", r.all);
  for (const auto& [c, s] : r.by_cores) row(std::to_string(c), s);
  for (const auto& [t, s] : r.by_type) row(std::string(to_string(t)) + " stacks", s);
  o << "\n(median absolute errors)\n\n"
    << "Winner (sync vs async stack in one configuration): " << r.pairs_correct << " of "
    << r.pairs.size() << " pairs right; " << r.decisive_correct << " of " << r.decisive_pairs
    << " where the measured gap exceeds the repeats' ranges.\n\n";
}

// The median errors of the points predicted again (throughput, P50, P99:
// one of ErrorSummary's triples), over all points, per core count and per type.
void write_errors_again(std::ostream& o, const ValidationReport& r,
                        double ErrorSummary::*throughput, double ErrorSummary::*p50,
                        double ErrorSummary::*p99) {
  o << "| points | cores | throughput | P50 | P99 |\n|---|---|---|---|---|\n";
  auto row = [&](const std::string& cores, const ErrorSummary& s) {
    o << "| " << s.points << " | " << cores << " | " << apct(s.*throughput) << " | " << apct(s.*p50)
      << " | " << apct(s.*p99) << " |\n";
  };
  row("all", r.all);
  for (const auto& [c, s] : r.by_cores) row(std::to_string(c), s);
  for (const auto& [t, s] : r.by_type) row(std::string(to_string(t)) + " stacks", s);
}

// The same, each point predicted at its runs' measured speed.
void write_at_speed(std::ostream& o, const ValidationReport& r) {
  o << "### At the runs' measured speed\n\n"
    << "The CPU a request costs drifts between runs on a shared machine. Each point "
       "predicted again on a host whose speed makes the model's CPU per request equal "
       "its runs' median (speed = model / measured): what error remains is the queueing "
       "model's.\n\n";
  write_errors_again(o, r, &ErrorSummary::throughput_at_speed, &ErrorSummary::p50_at_speed,
                     &ErrorSummary::p99_at_speed);
  o << "\nWinner at the runs' speed: " << r.pairs_correct_at_speed << " of " << r.pairs.size()
    << " pairs right; " << r.decisive_correct_at_speed << " of " << r.decisive_pairs
    << " decisive.\n\n";
}

// The same at the runner's reference speed, where the records carry it.
void write_at_reference(std::ostream& o, const ValidationReport& r) {
  o << "### At the runner's reference speed\n\n"
    << "The runner times a fixed C loop on the run's CPUs just before and after each window "
       "(host_speed), the loop the host profile's native_rate comes from. Each point "
       "predicted again at speed = the runs' median rate / the profile's: nothing of the "
       "runs' CPU enters, so what error goes away is the machine's drift since the probe. "
    << r.points_at_reference << " of " << r.points.size() << " points.\n\n";
  write_errors_again(o, r, &ErrorSummary::throughput_at_reference, &ErrorSummary::p50_at_reference,
                     &ErrorSummary::p99_at_reference);
  o << "\nWinner at the reference speed: " << r.pairs_correct_at_reference << " of "
    << r.pairs_at_reference << " pairs right; " << r.decisive_correct_at_reference << " of "
    << r.decisive_at_reference << " decisive.\n\n";
}

// The decisive pairs whose winner the model gets wrong, if any.
void write_wrong_pairs(std::ostream& o, const ValidationReport& r) {
  std::vector<const WinnerPair*> wrong;
  for (const WinnerPair& w : r.pairs)
    if (w.decisive && !w.correct) wrong.push_back(&w);
  if (!wrong.empty()) {
    o << "Decisive pairs predicted wrong:\n\n| configuration | sync | async | measured async/sync "
         "| predicted |\n|---|---|---|---|---|\n";
    for (const WinnerPair* w : wrong)
      o << "| " << w->group << " | " << w->sync_stack << " | " << w->async_stack << " | "
        << fixed(w->measured_ratio, 2) << " | " << fixed(w->predicted_ratio, 2) << " |\n";
    o << "\n";
  }
}

// One row per point: measured median (range), predicted, error.
void write_points(std::ostream& o, const ValidationReport& r) {
  o << "## Points\n\n"
    << "| configuration | stack | type | W | rps measured (range) | rps predicted | err | P50 ms "
       "meas / pred | err | P99 ms meas / pred | err | #DB meas / pred | err | CPU us/req "
       "meas / pred |"
    << (r.at_measured_speed ? " speed | rps err at speed |" : "")
    << (r.points_at_reference > 0 ? " reference speed | rps err at it |\n" : "\n")
    << "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    << (r.at_measured_speed ? "---|---|" : "") << (r.points_at_reference > 0 ? "---|---|\n" : "\n");
  std::string last;
  for (const ValidationPoint& p : r.points) {
    o << "| " << (p.group == last ? "" : p.group) << " | " << p.stack
      << (p.flagged ? " (flagged)" : "") << " | " << to_string(p.type) << " | " << p.workers
      << " | " << fixed(p.throughput.median, 0) << " (" << fixed(p.throughput.min, 0) << "-"
      << fixed(p.throughput.max, 0) << ") | " << fixed(p.throughput.predicted, 0) << " | "
      << pct(p.throughput.error) << " | " << fixed(p.p50.median, 1) << " / "
      << fixed(p.p50.predicted, 1) << " | " << pct(p.p50.error) << " | " << fixed(p.p99.median, 1)
      << " / " << fixed(p.p99.predicted, 1) << " | " << pct(p.p99.error) << " | "
      << fixed(p.sessions_peak.median, 0) << " / " << fixed(p.sessions_peak.predicted, 1) << " | "
      << pct(p.sessions_peak.error) << " | " << fixed(p.cpu_us.median, 0) << " / "
      << fixed(p.cpu_us.predicted, 0) << " |";
    if (r.at_measured_speed)
      o << " " << fixed(p.at_speed.speed, 2) << " | " << pct(p.at_speed.throughput.error) << " |";
    if (r.points_at_reference > 0)
      o << " " << fixed(p.at_reference.speed, 2) << " | " << pct(p.at_reference.throughput.error)
        << " |";
    o << "\n";
    last = p.group;
  }
}

}  // namespace

std::string to_markdown(const ValidationReport& r) {
  std::ostringstream o;
  write_header(o, r);
  write_summary(o, r);
  if (r.at_measured_speed) write_at_speed(o, r);
  if (r.points_at_reference > 0) write_at_reference(o, r);
  write_wrong_pairs(o, r);
  write_points(o, r);
  if (!r.missing.empty()) {
    o << "\n## Not validated\n\n";
    for (const std::string& m : r.missing) o << "- " << m << "\n";
  }
  return o.str();
}

}  // namespace stacksim::calibrate
