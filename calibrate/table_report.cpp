#include "calibrate/table_report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::calibrate {
namespace {

using json_fields::number_or_null;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

nlohmann::json figures_json(const PublishedFigures& f) {
  auto v = [](const std::optional<double>& x) { return x ? nlohmann::json(*x) : nlohmann::json(); };
  return {{"throughput", v(f.throughput)},
          {"p50_ms", v(f.p50_ms)},
          {"p99_ms", v(f.p99_ms)},
          {"db_sessions_peak", v(f.db_sessions_peak)}};
}

// The four figures of a row in one order, published then fitted.
struct FigureColumn {
  const char* name;
  std::optional<double> PublishedFigures::*field;
};
constexpr FigureColumn kColumns[] = {{"throughput", &PublishedFigures::throughput},
                                     {"p50_ms", &PublishedFigures::p50_ms},
                                     {"p99_ms", &PublishedFigures::p99_ms},
                                     {"db_sessions_peak", &PublishedFigures::db_sessions_peak}};

double median_abs_error(const TableFit& fit, const FigureColumn& c) {
  std::vector<double> errors;
  for (const RowFit& r : fit.rows) {
    const double e = relative_error(r.row->figures.*c.field, r.fitted.*c.field);
    if (std::isfinite(e)) errors.push_back(std::abs(e));
  }
  if (errors.empty()) return kNaN;
  std::sort(errors.begin(), errors.end());
  const std::size_t n = errors.size();
  return n % 2 ? errors[n / 2] : (errors[n / 2 - 1] + errors[n / 2]) / 2;
}

std::string fmt(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string cell(const std::optional<double>& v, const char* format) {
  return v ? fmt(format, *v) : std::string("-");
}

std::string percent(double e) {
  return std::isfinite(e) ? fmt("%+.0f%%", 100 * e) : "-";
}

nlohmann::json noise_json(const FigureNoise& n) {
  return {
      {"throughput", n.throughput}, {"p50", n.p50}, {"p99", n.p99}, {"db_sessions", n.db_sessions}};
}

}  // namespace

double relative_error(const std::optional<double>& published, const std::optional<double>& fitted) {
  if (!published || !fitted || *published <= 0) return kNaN;
  return *fitted / *published - 1;
}

nlohmann::json table_fit_json(const TableFit& fit, const PublishedTable& table,
                              const TableInputs& in) {
  nlohmann::json params = nlohmann::json::array();
  for (const TableParameter& p : fit.parameters)
    params.push_back(
        {{"name", p.name},
         {"factor", p.value},
         {"sd_log", p.sd},
         {"low95", p.value * std::exp(-1.96 * p.sd)},
         {"high95", p.value * std::exp(1.96 * p.sd)},
         {"prior_sd_log", p.prior_sd},
         {"table_sd_log", p.sd_table},
         {"pinned", p.pinned},
         {"moves_with", p.moves_with.empty() ? nlohmann::json() : nlohmann::json(p.moves_with)},
         {"correlation", number_or_null(p.correlation)}});
  nlohmann::json rows = nlohmann::json::array();
  for (const RowFit& r : fit.rows) {
    nlohmann::json error;
    for (const FigureColumn& c : kColumns)
      error[c.name] = number_or_null(relative_error(r.row->figures.*c.field, r.fitted.*c.field));
    rows.push_back(
        {{"label", r.row->label},
         {"line", r.row->line},
         {"stack", r.row->stack},
         {"workers", r.row->scenario.workers.for_type(fit.model.stacks.at(r.row->stack).type)},
         {"accept_policy", std::string(to_string(fit.model.stacks.at(r.row->stack).accept_policy))},
         {"published", figures_json(r.row->figures)},
         {"fitted", figures_json(r.fitted)},
         {"error", error},
         {"throughput_rps", r.throughput_rps},
         {"worker_hold_ms", r.worker_hold_ms},
         {"cpu_ms_per_request", r.cpu_ms_per_request}});
  }
  nlohmann::json median;
  for (const FigureColumn& c : kColumns) median[c.name] = number_or_null(median_abs_error(fit, c));
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& [label, why] : table.skipped)
    skipped.push_back({{"label", label}, {"why", why}});
  return {{"kind", "calibrated"},
          {"method", "stacksim calibrate table"},
          {"table", in.table},
          {"map", in.map},
          {"scenario", in.scenario},
          {"prior", in.prior},
          {"estimates", in.estimates},
          {"throughput", table.kind == ThroughputKind::kRelative ? "relative" : "requests_per_s"},
          {"baseline", table.baseline},
          {"noise_log", noise_json(fit.noise)},
          {"simulation_noise_log", noise_json(fit.simulation_noise)},
          {"figures", fit.figures},
          {"chi2", fit.chi2},
          {"noise_scale", fit.noise_scale},
          {"iterations", fit.iterations},
          {"simulations", fit.simulations},
          {"converged", fit.converged},
          {"parameters", params},
          {"rows", rows},
          {"median_abs_error", median},
          {"skipped", skipped}};
}

std::string format_table_fit(const TableFit& fit, const PublishedTable& table) {
  std::string s =
      fmt("%zu rows, %d published figures, %zu parameters; %d iterations, %d "
          "simulations%s; chi2 %.1f, noise scale %.2f\n",
          table.rows.size(), fit.figures, fit.parameters.size(), fit.iterations, fit.simulations,
          fit.converged ? "" : " (not converged)", fit.chi2, fit.noise_scale);
  const FigureNoise& n = fit.noise;
  const FigureNoise& sim = fit.simulation_noise;
  s += fmt(
      "Noise of a figure (log): published %.2f/%.2f/%.2f/%.2f (throughput/P50/P99/#DB), the "
      "search's simulation %.3f/%.3f/%.3f/%.3f\n\n",
      n.throughput, n.p50, n.p99, n.db_sessions, sim.throughput, sim.p50, sim.p99, sim.db_sessions);
  s += "Parameters: a factor on the prior's value (baseline_rps: requests/s), its 95% range with "
       "the priors, and whether the table alone pins it (narrows it to under half its prior "
       "spread)\n";
  s += fmt("  %-28s %8s  %-17s %-7s %s\n", "parameter", "factor", "95% range", "pinned",
           "moves with");
  for (const TableParameter& p : fit.parameters)
    s += fmt(
        "  %-28s %8.3f  %7.3f - %-7.3f %-7s %s\n", p.name.c_str(), p.value,
        p.value * std::exp(-1.96 * p.sd), p.value * std::exp(1.96 * p.sd), p.pinned ? "yes" : "no",
        p.moves_with.empty() ? ""
                             : fmt("%s (r = %+.2f)", p.moves_with.c_str(), p.correlation).c_str());
  const bool relative = table.kind == ThroughputKind::kRelative;
  s += fmt("\nRows: published / fitted (error)\n  %-26s %-24s %-22s %-22s %-22s %s\n", "row",
           "stack", relative ? "throughput (x base)" : "throughput (req/s)", "P50 ms", "P99 ms",
           "#DB");
  const char* xf = relative ? "%.2f" : "%.0f";
  for (const RowFit& r : fit.rows) {
    std::string line = fmt("  %-26s %-24s", r.row->label.c_str(), r.row->stack.c_str());
    for (const FigureColumn& c : kColumns) {
      const auto& pub = r.row->figures.*c.field;
      const auto& fitted = r.fitted.*c.field;
      const char* f = c.field == &PublishedFigures::throughput ? xf : "%.0f";
      line += fmt(" %-22s", (cell(pub, f) + " / " + cell(fitted, f) + " (" +
                             percent(relative_error(pub, fitted)) + ")")
                                .c_str());
    }
    s += line + "\n";
  }
  s += "\nAccept policy of each async row's workers (the one its latency shape fits best):";
  for (const RowFit& r : fit.rows) {
    const StackModel& stack = fit.model.stacks.at(r.row->stack);
    if (stack.type != WorkerType::kSync)
      s += " " + stack.name + " " + std::string(to_string(stack.accept_policy)) + ";";
  }
  s += "\n\nMedian |error|:";
  for (const FigureColumn& c : kColumns) {
    const double m = median_abs_error(fit, c);
    if (std::isfinite(m)) s += fmt(" %s %.1f%%", c.name, 100 * m);
  }
  s += "\n";
  for (const auto& [label, why] : table.skipped) s += "Skipped " + label + ": " + why + "\n";
  return s;
}

namespace {

// One row on one model: simulated throughput, CPU per request, the sync hold.
struct Side {
  RowFit row;
  double cpu_bound_rps = 0;
};

std::vector<Side> simulate_pair(const PublishedTable& table, const std::vector<std::size_t>& rows,
                                const Model& model, unsigned threads) {
  PublishedTable pair = table;
  pair.rows.clear();
  for (std::size_t i : rows) pair.rows.push_back(table.rows[i]);
  pair.kind = ThroughputKind::kAbsolute;
  const std::vector<RowFit> fits = simulate_rows(pair, model, 20000, 2000, 3, threads);
  std::vector<Side> out;
  for (const RowFit& f : fits) {
    Side s{f, 0};
    s.row.row = nullptr;
    s.cpu_bound_rps = f.row->scenario.cores / (f.cpu_ms_per_request / 1000);
    out.push_back(s);
  }
  return out;
}

std::string describe_side(const std::string& machine, const std::vector<Side>& sides,
                          const StackModel& sync, const StackModel& async, const Scenario& sc) {
  const Side& s = sides[0];
  const Side& a = sides[1];
  const int w = sc.workers.for_type(WorkerType::kSync);
  return fmt(
      "- %s: a request costs %.2f ms of CPU on %s and %.2f ms on %s. %d cores serve at most "
      "%d / %.2f ms = %.0f req/s of %s; %s's %d workers hold each request %.1f ms (%.1f ms "
      "beyond the %.0f ms delay), so %d / %.1f ms = %.0f req/s. Simulated: %.0f against "
      "%.0f req/s, async ahead by %.2fx.\n",
      machine.c_str(), s.row.cpu_ms_per_request, sync.name.c_str(), a.row.cpu_ms_per_request,
      async.name.c_str(), sc.cores, sc.cores, a.row.cpu_ms_per_request, a.cpu_bound_rps,
      async.name.c_str(), sync.name.c_str(), w, s.row.worker_hold_ms,
      s.row.worker_hold_ms - sc.delay_ms, sc.delay_ms, w, s.row.worker_hold_ms,
      1000.0 * w / s.row.worker_hold_ms, a.row.throughput_rps, s.row.throughput_rps,
      a.row.throughput_rps / s.row.throughput_rps);
}

}  // namespace

std::string explain_difference(const TableFit& fit, const PublishedTable& table,
                               const Model& this_machine, const std::string& this_machine_name,
                               unsigned threads) {
  std::size_t sync = table.rows.size(), async = table.rows.size();
  double best = 0;
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const PublishedRow& r = table.rows[i];
    if (!this_machine.stacks.count(r.stack) || !r.figures.throughput) continue;
    const WorkerType t = fit.model.stacks.at(r.stack).type;
    if (r.stack == table.baseline && t == WorkerType::kSync) sync = i;
    if (t != WorkerType::kSync && *r.figures.throughput > best)
      best = *r.figures.throughput, async = i;
  }
  if (sync == table.rows.size() || async == table.rows.size())
    return "(no sync baseline and async row that both models have: nothing to compare)\n";
  const Scenario& sc = table.rows[sync].scenario;
  const StackModel& s = fit.model.stacks.at(table.rows[sync].stack);
  const StackModel& a = fit.model.stacks.at(table.rows[async].stack);
  const std::vector<Side> there = simulate_pair(table, {sync, async}, fit.model, threads);
  const std::vector<Side> here = simulate_pair(table, {sync, async}, this_machine, threads);
  return "Why the verdicts differ at the same knobs:\n" +
         describe_side("On the table's machine (fitted)", there, s, a, sc) +
         describe_side("On this machine (" + this_machine_name + ")", here, s, a, sc) +
         fmt("The table's machine spends %.1fx this machine's CPU per %s request and %.1fx per "
             "%s request. Async throughput meets the CPU bound (cores / CPU per request), so it "
             "falls with the CPU per request; a sync worker holds a request for the %.0f ms "
             "delay plus h (%.1f ms there, %.1f ms here), so sync throughput falls only by "
             "(D + h there) / (D + h here) = %.2fx. The async edge goes from %.2fx here to "
             "%.2fx there.\n",
             there[1].row.cpu_ms_per_request / here[1].row.cpu_ms_per_request, a.name.c_str(),
             there[0].row.cpu_ms_per_request / here[0].row.cpu_ms_per_request, s.name.c_str(),
             sc.delay_ms, there[0].row.worker_hold_ms - sc.delay_ms,
             here[0].row.worker_hold_ms - sc.delay_ms,
             there[0].row.worker_hold_ms / here[0].row.worker_hold_ms,
             here[1].row.throughput_rps / here[0].row.throughput_rps,
             there[1].row.throughput_rps / there[0].row.throughput_rps);
}

}  // namespace stacksim::calibrate
