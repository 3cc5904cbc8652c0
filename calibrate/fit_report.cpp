// A calibration as JSON (also the model's provenance) and as the summary
// table `calibrate fit` prints.
#include <cmath>
#include <iomanip>
#include <sstream>

#include "calibrate/fit.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {
namespace {

using json_fields::number_or_null;

nlohmann::json fit_json(const GroupFit& g) {
  const LinearFit& f = g.fit;
  nlohmann::json j = {{"group", to_string(g.group)},
                      {"unit", g.group == Group::kKernel ? "us per hop" : "us per request"},
                      {"n", f.n},
                      {"value_us", f.value},
                      {"value_se_us", number_or_null(f.value_se)},
                      {"x_mean", f.x_mean},
                      {"x_ref", f.x_ref},
                      {"slope_identified", f.slope_identified},
                      {"intercept_us", f.intercept},
                      {"intercept_se_us", number_or_null(f.intercept_se)},
                      {"slope_us_per_x", f.slope},
                      {"slope_se", number_or_null(f.slope_se)},
                      {"residual_sd_us", number_or_null(f.residual_sd)},
                      {"note", f.note}};
  nlohmann::json terms = nlohmann::json::object();
  for (const ExtraTerm& t : f.extra)
    terms[t.name] = {{"identified", t.identified},
                     {"coef", t.coef},
                     {"se", number_or_null(t.se)},
                     {"mean", t.mean},
                     {"ref", t.ref}};
  if (!f.extra.empty()) j["extra_terms"] = terms;
  if (f.slope_identified && f.value > 0) j["slope_over_demand"] = f.slope / f.value;
  if (!g.stack.empty()) j["stack"] = g.stack;
  if (g.group == Group::kKernel) j["hops_per_request"] = g.hops;
  nlohmann::json res = nlohmann::json::object();
  for (std::size_t i = 0; i < g.record_ids.size(); ++i) res[g.record_ids[i]] = f.residuals[i];
  j["residuals_us"] = res;
  return j;
}

}  // namespace

nlohmann::json to_json(const Calibration& c) {
  nlohmann::json j;
  j["regressor"] = to_string(c.regressor);
  j["evaluate_at"] = to_string(c.evaluate_at);
  j["records"] = c.record_ids;
  j["skipped"] = c.skipped;
  nlohmann::json per_stack = nlohmann::json::array();
  for (const GroupFit& g : c.per_stack) per_stack.push_back(fit_json(g));
  nlohmann::json shared = nlohmann::json::array();
  for (const GroupFit& g : c.shared) shared.push_back(fit_json(g));
  j["fits_per_stack"] = per_stack;
  j["fits_shared"] = shared;
  j["not_identified"] = c.not_identified;
  j["notes"] = c.notes;
  return j;
}

std::string format_summary(const Calibration& c) {
  std::ostringstream o;
  auto num = [](double v, int prec) {
    std::ostringstream s;
    if (std::isfinite(v)) {
      s << std::fixed << std::setprecision(prec) << v;
    } else {
      s << "n/i";
    }
    return s.str();
  };
  const std::string x = c.regressor == Regressor::kSessions            ? "#DB"
                        : c.regressor == Regressor::kThroughput        ? "rps"
                        : c.regressor == Regressor::kInverseThroughput ? "us/req"
                        : c.regressor == Regressor::kLoad              ? "idle"
                                                                       : "-";
  auto rows = [&](const std::vector<GroupFit>& fits) {
    o << std::left << std::setw(26) << "stack" << std::setw(12) << "group" << std::right
      << std::setw(4) << "n" << std::setw(11) << "demand_us" << std::setw(9) << "se_us"
      << std::setw(14) << ("slope/" + x) << std::setw(10) << "slope_se" << std::setw(10)
      << "resid_sd" << std::setw(11) << "at " + x << "\n";
    for (const GroupFit& g : fits) {
      const LinearFit& f = g.fit;
      const std::string group =
          g.group == Group::kKernel ? "kernel/hop" : std::string(to_string(g.group));
      o << std::left << std::setw(26) << (g.stack.empty() ? "(all stacks)" : g.stack)
        << std::setw(12) << group << std::right << std::setw(4) << f.n << std::setw(11)
        << num(f.value, 1) << std::setw(9) << num(f.value_se, 1) << std::setw(14)
        << (f.slope_identified ? num(f.slope, 4) : "n/i") << std::setw(10)
        << (f.slope_identified ? num(f.slope_se, 4) : "n/i") << std::setw(10)
        << num(f.residual_sd, 1) << std::setw(11) << num(f.x_ref, 1);
      if (g.group == Group::kKernel) o << "  (" << num(g.hops, 1) << " hops/request)";
      for (const ExtraTerm& t : f.extra)
        o << "  " << t.name << " " << (t.identified ? num(t.coef, 3) : "n/i") << " +- "
          << num(t.se, 3);
      o << "\n";
    }
  };
  o << "Fitted CPU demand per request (us) from " << c.record_ids.size()
    << " records, y = a + b*x with x = " << to_string(c.regressor)
    << "; demand = the fit at x = " << to_string(c.evaluate_at)
    << " (of the records' x); n/i = not identified\n\n";
  o << "Per stack (app goes into the model):\n";
  rows(c.per_stack);
  o << "\nShared components, over every stack (these go into the model):\n";
  rows(c.shared);
  o << "\nEach stack's scale on them (stacks.<s>.shared_scale: its records over the shared fit "
       "at the same records):\n"
    << std::left << std::setw(26) << "stack" << std::right;
  for (const char* g : {"client", "proxy", "kernel", "pgbouncer", "postgres"})
    o << std::setw(11) << g;
  o << "\n";
  for (const auto& [name, stack] : c.model.stacks) {
    const SharedScale& f = stack.shared_scale;
    o << std::left << std::setw(26) << name << std::right;
    for (double v : {f.client, f.proxy, f.kernel, f.pgbouncer, f.postgres})
      o << std::setw(11) << num(v, 3);
    o << "\n";
  }
  if (!c.skipped.empty()) {
    o << "\nSkipped records:\n";
    for (const std::string& s : c.skipped) o << "  - " << s << "\n";
  }
  if (!c.notes.empty()) {
    o << "\nNotes:\n";
    for (const std::string& s : c.notes) o << "  - " << s << "\n";
  }
  o << "\nNot identified from these records:\n";
  for (const std::string& s : c.not_identified) o << "  - " << s << "\n";
  return o.str();
}

}  // namespace stacksim::calibrate
