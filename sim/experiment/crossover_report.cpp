#include "sim/experiment/crossover_report.hpp"

#include <cmath>
#include <cstdio>

#include "sim/experiment/report.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {

using nlohmann::json;

using json_fields::number_or_null;

json side_json(const SideAtPoint& s) {
  return {{"stack", s.stack},
          {"throughput_rps", s.throughput_rps},
          {"throughput_rel_ci95", number_or_null(s.rel_ci95)},
          {"binding", s.binding},
          {"binding_formula", s.binding_formula},
          {"worker_hold_ms", s.worker_hold_ms},
          {"cpu_ms_per_request", s.cpu_ms}};
}

json point_json(const CurvePoint& p) {
  json j;
  j["x"] = p.x;
  j["y_star"] = p.y_star ? json(*p.y_star) : json(nullptr);
  j["per_replication"] = p.per_replication;
  j["bracket"] =
      std::isfinite(p.bracket_lo) ? json::array({p.bracket_lo, p.bracket_hi}) : json(nullptr);
  j["none_reason"] = p.y_star ? json(nullptr) : json(p.none_reason);
  j["analytic"] = {{"y", p.analytic.y ? json(*p.analytic.y) : json(nullptr)},
                   {"formula", p.analytic.formula}};
  j["why"] = p.why;
  return j;
}

std::string cell_text(double v, int width, int precision) {
  char buf[64];
  if (!std::isfinite(v)) {
    std::snprintf(buf, sizeof buf, "%*s", width, "-");
  } else {
    std::snprintf(buf, sizeof buf, "%*.*f", width, precision, v);
  }
  return buf;
}

void print_grid(std::ostream& out, const CrossoverSpec& spec, const CrossoverResult& result) {
  const std::size_t ny = spec.y.values.size();
  out << "ratio (best async / best sync throughput); rows " << spec.y.knob << ", columns "
      << spec.x.knob << "\n";
  out << cell_text(NAN, 10, 0);
  for (double x : spec.x.values) out << ' ' << cell_text(x, 6, spec.x.integer ? 0 : 1);
  out << "\n";
  for (std::size_t iy = 0; iy < ny; ++iy) {
    out << cell_text(spec.y.values[iy], 10, spec.y.integer ? 0 : 2);
    for (std::size_t ix = 0; ix < spec.x.values.size(); ++ix)
      out << ' ' << cell_text(result.cell(ix, iy, ny).ratio, 6, 2);
    out << "\n";
  }
}

void print_curve(std::ostream& out, const CrossoverSpec& spec, const CrossoverCurve& curve) {
  out << "\n-- level " << curve.level << ": " << spec.y.knob << " where the ratio crosses "
      << curve.level << " (bisection per replication; 95% Student-t over replications)\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-12s %12s %10s %12s %12s %12s\n", spec.x.knob.c_str(), "y*",
                "+-95%", "bracket_lo", "bracket_hi", "bounds_D*");
  out << line;
  for (const CurvePoint& p : curve.points) {
    const double y = p.y_star ? p.y_star->mean : NAN;
    const double h = p.y_star ? p.y_star->ci95 : NAN;
    std::snprintf(line, sizeof line, "%-12s %s %s %s %s %s\n", knob_text(spec.x, p.x).c_str(),
                  cell_text(y, 12, 4).c_str(), cell_text(h, 10, 4).c_str(),
                  cell_text(p.bracket_lo, 12, 4).c_str(), cell_text(p.bracket_hi, 12, 4).c_str(),
                  cell_text(p.analytic.y ? *p.analytic.y : NAN, 12, 4).c_str());
    out << line;
  }
  out << "why:\n";
  for (const CurvePoint& p : curve.points)
    out << "  " << spec.x.knob << "=" << knob_text(spec.x, p.x) << ": " << p.why
        << (p.analytic.formula.empty() ? "" : "; bounds: " + p.analytic.formula) << "\n";
  out << curve.summary << "\n";
}

}  // namespace

json crossover_json(const Model& model, const CrossoverSpec& spec, const CrossoverResult& result) {
  json j = report_head(kCrossoverSchema, kCrossoverVersion, model, spec.scenario);
  j["sides"] = {{"sync", spec.sync_side}, {"async", spec.async_side}};
  j["x"] = {{"knob", spec.x.knob}, {"values", spec.x.values}};
  j["y"] = {{"knob", spec.y.knob},
            {"lo", spec.y_lo()},
            {"hi", spec.y_hi()},
            {"grid", spec.y.values},
            {"tolerance", spec.y.integer ? json(1) : json(spec.y_tolerance())}};
  j["levels"] = spec.levels;
  j["replications"] = spec.scenario.replications;
  j["precision"] = spec.precision > 0 ? json(spec.precision) : json(nullptr);
  j["max_replications"] = spec.max_replications;
  j["worst_throughput_rel_ci95"] = number_or_null(result.worst_rel_ci95);
  j["runs"] = result.runs;
  json grid = json::array();
  for (const CrossoverCell& c : result.cells)
    grid.push_back({{"x", c.x},
                    {"y", c.y},
                    {"ratio", c.ratio},
                    {"ratio_ci95", number_or_null(c.ratio_ci95)},
                    {"replications", c.replications},
                    {"sync", side_json(c.sync)},
                    {"async", side_json(c.async)}});
  j["grid"] = grid;
  json curves = json::array();
  for (const CrossoverCurve& curve : result.curves) {
    json points = json::array();
    for (const CurvePoint& p : curve.points) points.push_back(point_json(p));
    curves.push_back({{"level", curve.level}, {"summary", curve.summary}, {"points", points}});
  }
  j["curves"] = curves;
  return j;
}

void print_crossover_table(std::ostream& out, const CrossoverSpec& spec,
                           const CrossoverResult& result) {
  out << "== crossover: " << spec.scenario.name << ", best of " << spec.async_side.size()
      << " async vs " << spec.sync_side.size() << " sync stacks, " << spec.scenario.replications
      << " replications, " << result.runs << " runs; widest "
      << "throughput 95% interval " << cell_text(100 * result.worst_rel_ci95, 0, 2)
      << "% of the mean\n";
  print_grid(out, spec, result);
  for (const CrossoverCurve& curve : result.curves) print_curve(out, spec, curve);
}

void print_crossover_csv(std::ostream& out, const CrossoverSpec& /*spec*/,
                         const CrossoverResult& result) {
  const auto num = [](double v) {
    char buf[64];
    if (!std::isfinite(v)) return std::string();
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf);
  };
  out << "record,level,x,y,ratio,ratio_ci95,sync_stack,sync_rps,sync_binding,async_stack,"
         "async_rps,async_binding,y_star,y_star_ci95,bracket_lo,bracket_hi,analytic_y\n";
  for (const CrossoverCell& c : result.cells)
    out << "cell,," << num(c.x) << ',' << num(c.y) << ',' << num(c.ratio) << ','
        << num(c.ratio_ci95) << ',' << c.sync.stack << ',' << num(c.sync.throughput_rps) << ','
        << c.sync.binding << ',' << c.async.stack << ',' << num(c.async.throughput_rps) << ','
        << c.async.binding << ",,,,,\n";
  for (const CrossoverCurve& curve : result.curves)
    for (const CurvePoint& p : curve.points)
      out << "curve," << num(curve.level) << ',' << num(p.x) << ",,,,,,,,,,"
          << num(p.y_star ? p.y_star->mean : NAN) << ',' << num(p.y_star ? p.y_star->ci95 : NAN)
          << ',' << num(p.bracket_lo) << ',' << num(p.bracket_hi) << ','
          << num(p.analytic.y ? *p.analytic.y : NAN) << "\n";
}

}  // namespace stacksim
