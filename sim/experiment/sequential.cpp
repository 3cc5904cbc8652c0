#include "sim/experiment/sequential.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "common/input_error.hpp"
#include "sim/metrics/replication_stats.hpp"

namespace stacksim {

namespace {
std::string number_text(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

ReplicationStats throughput_stats(const std::vector<RunResult>& replications) {
  ReplicationStats stats;
  for (const RunResult& r : replications) stats.add(r.throughput_rps);
  return stats;
}
}  // namespace

void check_stopping_rule(const StoppingRule& rule, int first, const char* precision_flag,
                         const char* max_flag) {
  if (!(rule.precision > 0 && rule.precision < 1))
    throw InputError(std::string(precision_flag) + ": must be in (0, 1), got " +
                     number_text(rule.precision));
  if (first < 2)
    throw InputError(std::string(precision_flag) +
                     ": needs at least 2 replications to judge an interval");
  if (rule.max_replications < first)
    throw InputError(std::string(max_flag) + ": must be at least the replications (" +
                     std::to_string(first) + "), got " + std::to_string(rule.max_replications));
}

bool meets_precision(const std::vector<RunResult>& replications, double precision) {
  const ReplicationStats stats = throughput_stats(replications);
  return stats.n() >= 2 && stats.ci95_half_width() <= precision * stats.mean();
}

// With n replications, a series of standard deviation s and mean m needs
// about (t * s / (precision * m))^2 for its half-width to shrink to the
// precision: aimed at, but never more than double n in one round (s is
// itself an estimate).
std::size_t replications_needed(const PointSeries& point, const StoppingRule& rule) {
  const std::size_t n = point.front()->size();
  std::size_t need = n;
  for (const std::vector<RunResult>* series : point) {
    const ReplicationStats stats = throughput_stats(*series);
    if (stats.ci95_half_width() <= rule.precision * stats.mean()) continue;
    const double t = student_t_two_sided(0.95, static_cast<double>(n - 1));
    const double wanted = std::pow(t * stats.stddev() / (rule.precision * stats.mean()), 2);
    need = std::max(need, std::min(2 * n, std::max(n + 1, static_cast<std::size_t>(wanted))));
  }
  return std::min(need, static_cast<std::size_t>(rule.max_replications));
}

void replicate_until_precise(
    std::size_t points, const StoppingRule& rule,
    const std::function<PointSeries(std::size_t)>& series_of,
    const std::function<void(const std::vector<MoreReplications>&)>& run_more) {
  if (!rule.on()) return;
  for (;;) {
    std::vector<MoreReplications> more;
    for (std::size_t i = 0; i < points; ++i) {
      const PointSeries series = series_of(i);
      const std::size_t n = series.front()->size();
      const std::size_t need = replications_needed(series, rule);
      if (need > n) more.push_back({i, static_cast<int>(n), static_cast<int>(need - n)});
    }
    if (more.empty()) return;
    run_more(more);
  }
}

}  // namespace stacksim
