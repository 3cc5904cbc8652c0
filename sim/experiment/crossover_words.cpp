#include "sim/experiment/crossover_words.hpp"

#include <cmath>
#include <cstdio>

#include "sim/experiment/explanation.hpp"

namespace stacksim {

namespace {

template <class... Args>
std::string format(const char* fmt, Args... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

const Bound* bound_named(const Explanation& e, const std::string& resource) {
  for (const Bound& b : e.analytic)
    if (b.resource == resource) return &b;
  return nullptr;
}

const StackResult& result_of(const std::vector<StackResult>& at, const std::string& stack) {
  for (const StackResult& s : at)
    if (s.stack == stack) return s;
  return at.front();
}

// The cell of X value ix whose Y is nearest y.
std::size_t nearest_cell(const CrossoverMap& map, std::size_t ix, double y) {
  const std::vector<double>& ys = map.spec.y.values;
  std::size_t best = 0;
  for (std::size_t iy = 1; iy < ys.size(); ++iy)
    if (std::abs(ys[iy] - y) < std::abs(ys[best] - y)) best = iy;
  return ix * ys.size() + best;
}

// What the bounds say at a cell's best pair: sync's hold beyond the delay h
// (from W / (D + h)) and async's CPU bound n / c, and where they cross.
struct BoundsCrossing {
  AnalyticCrossover crossing;
  double h_ms = 0;
  double async_cpu_rps = 0;
};

BoundsCrossing bounds_crossing(const CrossoverMap& map, std::size_t ci, double level) {
  const CrossoverCell& cell = map.cells[ci];
  Scenario sc = *map.scenarios[ci];
  const StackResult& rs = result_of(map.runs[ci], cell.sync.stack);
  const StackResult& ra = result_of(map.runs[ci], cell.async.stack);
  const StackModel& ss = map.model.stacks.at(rs.stack);
  const StackModel& sa = map.model.stacks.at(ra.stack);
  // The analytic bounds depend on the model and the scenario only.
  const Explanation es = explain(map.model, ss, sc, rs);
  const Explanation ea = explain(map.model, sa, sc, ra);
  const Bound* workers = bound_named(es, "workers");
  const Bound* cpu = bound_named(ea, "cpu");
  BoundsCrossing b;
  if (!workers || !cpu || !std::isfinite(cpu->rps)) {
    b.crossing.formula = "no finite worker bound for sync or CPU bound for async";
    return b;
  }
  const double w = rs.workers;
  b.h_ms = w * 1e3 / workers->rps - sc.delay_ms;
  b.async_cpu_rps = cpu->rps;
  const double d = level * w * 1e3 / cpu->rps - b.h_ms;
  b.crossing.formula = format(
      "D* = L x W / (n/c) - h = %g x %.0f / %.0f rps - %.3f ms = %.3f ms (sync %s: %.0f "
      "workers; async %s: %s)",
      level, w, cpu->rps, b.h_ms, d, rs.stack.c_str(), w, ra.stack.c_str(), cpu->formula.c_str());
  if (d < 0) {
    b.crossing.formula += "; below 0: at these bounds async is ahead at any delay";
    return b;
  }
  sc.delay_ms = d;
  const Explanation es_at = explain(map.model, ss, sc, rs);
  const Explanation ea_at = explain(map.model, sa, sc, ra);
  if (es_at.analytic.front().resource != "workers") {
    b.crossing.formula += "; not a crossing of these bounds: there sync's tightest bound is " +
                          es_at.analytic.front().resource + " (" + es_at.analytic.front().formula +
                          ")";
  } else if (ea_at.analytic.front().resource != "cpu") {
    b.crossing.formula += "; not a crossing of these bounds: there async's tightest bound is " +
                          ea_at.analytic.front().resource + " (" + ea_at.analytic.front().formula +
                          ")";
  } else {
    b.crossing.y = d;
  }
  return b;
}

std::string side_words(const char* side, const SideAtPoint& s) {
  return format("%s %s is bound by %s (%s)", side, s.stack.c_str(), s.binding.c_str(),
                s.binding_formula.c_str());
}

std::string bindings_at(const CrossoverMap& map, const CrossoverCell& c) {
  return format("at %s=%g (ratio %.2f) ", map.spec.y.knob.c_str(), c.y, c.ratio) +
         side_words("sync", c.sync) + ", " + side_words("async", c.async);
}

// Why the simulated crossing sits away from the bounds' one, from what the
// crossing cell shows.
std::string departure(const CrossoverCell& c, int cores, const BoundsCrossing& b) {
  std::string why;
  const auto add = [&why](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  const auto cause = [](const std::string& resource) {
    if (resource == "sessions") return std::string(" (the session cap)");
    if (resource == "clients") return std::string(" (the clients set the pace)");
    return std::string();
  };
  if (c.sync.binding != "workers")
    add("sync is bound by " + c.sync.binding + cause(c.sync.binding) + ", not its workers");
  if (c.async.binding != "cpu")
    add("async is bound by " + c.async.binding + cause(c.async.binding) + ", not the CPU");
  const double h_sim = c.sync.worker_hold_ms - c.y;
  if (std::abs(h_sim - b.h_ms) > 0.05 * b.h_ms)
    add(
        format("sync holds a worker %.3f ms beyond the delay against h = %.3f ms at the model's "
               "means (CPU contention %s it)",
               h_sim, b.h_ms, h_sim > b.h_ms ? "raises" : "does not raise"));
  const double n_over_c_sim = c.async.cpu_ms > 0 ? cores * 1e3 / c.async.cpu_ms : 0;
  if (c.async.binding == "cpu" && std::abs(n_over_c_sim - b.async_cpu_rps) > 0.05 * b.async_cpu_rps)
    add(
        format("async's simulated %.3f ms CPU per request sets n/c = %.0f rps against %.0f rps at "
               "the model's means",
               c.async.cpu_ms, n_over_c_sim, b.async_cpu_rps));
  return why.empty() ? "no binding resource shows why" : why;
}

}  // namespace

void describe_point(const CrossoverMap& map, std::size_t ix, double level, CurvePoint& p) {
  const std::size_t ny = map.spec.y.values.size();
  if (!p.y_star) {
    p.why = p.none_reason + "; " + bindings_at(map, map.cells[ix * ny]) + "; " +
            bindings_at(map, map.cells[ix * ny + ny - 1]);
  } else {
    const double y = p.y_star->mean;
    std::size_t below = ix * ny, above = ix * ny + ny - 1;
    for (std::size_t iy = 0; iy < ny; ++iy) {
      if (map.spec.y.values[iy] <= y) below = ix * ny + iy;
      if (map.spec.y.values[ny - 1 - iy] >= y) above = ix * ny + ny - 1 - iy;
    }
    p.why = "below, " + bindings_at(map, map.cells[below]) + "; above, " +
            bindings_at(map, map.cells[above]);
  }
  if (map.spec.y.knob != "delay_ms") {
    p.analytic.formula =
        "the analytic crossover D* = W·c/n - h is in delay_ms; the Y axis is " + map.spec.y.knob;
    return;
  }
  const std::size_t ci = nearest_cell(map, ix, p.y_star ? p.y_star->mean : map.spec.y_lo());
  const BoundsCrossing b = bounds_crossing(map, ci, level);
  p.analytic = b.crossing;
  if (!p.y_star || !b.crossing.y) return;
  const double ci95 = std::isnan(p.y_star->ci95) ? 0 : p.y_star->ci95;
  const double gap = p.y_star->mean - *b.crossing.y;
  if (std::abs(gap) <= ci95 + map.spec.y_tolerance()) {
    p.why +=
        format("; the simulated y* agrees with D* = %.3f ms within its interval", *b.crossing.y);
    return;
  }
  p.why += format("; the simulated y* sits %.3f ms %s D* = %.3f ms: ", std::abs(gap),
                  gap < 0 ? "below" : "above", *b.crossing.y) +
           departure(map.cells[ci], map.scenarios[ci]->cores, b);
}

std::string describe_curve(const CrossoverMap& map, const CrossoverCurve& curve) {
  const CurvePoint* first = nullptr;
  const CurvePoint* last = nullptr;
  std::size_t crossing = 0, agree = 0, analytic = 0;
  std::string pairs;
  std::string previous;
  for (std::size_t ix = 0; ix < curve.points.size(); ++ix) {
    const CurvePoint& p = curve.points[ix];
    if (p.analytic.y) ++analytic;
    if (!p.y_star) continue;
    ++crossing;
    if (!first) first = &p;
    last = &p;
    if (p.analytic.y && p.why.find("agrees with D*") != std::string::npos) ++agree;
    const CrossoverCell& c = map.cells[nearest_cell(map, ix, p.y_star->mean)];
    const std::string pair = "sync " + c.sync.binding + " / async " + c.async.binding;
    if (pair != previous) {
      pairs += format("%s%s from %s=%g", pairs.empty() ? "" : ", ", pair.c_str(),
                      map.spec.x.knob.c_str(), p.x);
      previous = pair;
    }
  }
  const std::string& y = map.spec.y.knob;
  if (crossing == 0)
    return format("The ratio crosses %g at no %s in this range of %s.", curve.level,
                  map.spec.x.knob.c_str(), y.c_str());
  const double dy = last->y_star->mean - first->y_star->mean;
  const double spread = (std::isnan(first->y_star->ci95) ? 0 : first->y_star->ci95) +
                        (std::isnan(last->y_star->ci95) ? 0 : last->y_star->ci95);
  std::string s = format(
      "At level %g the crossing %s %s from %.4g at %s=%g to %.4g at %s=%g (%zu of %zu X values "
      "cross). "
      "At the crossing: %s.",
      curve.level, y.c_str(),
      std::abs(dy) <= spread ? "stays level (within its intervals)" : (dy > 0 ? "rises" : "falls"),
      first->y_star->mean, map.spec.x.knob.c_str(), first->x, last->y_star->mean,
      map.spec.x.knob.c_str(), last->x, crossing, curve.points.size(), pairs.c_str());
  if (y == "delay_ms")
    s += format(" The bounds' D* applies at %zu X values; the simulation agrees with it at %zu.",
                analytic, agree);
  return s;
}

}  // namespace stacksim
