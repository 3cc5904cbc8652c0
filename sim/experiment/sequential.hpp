// Sequential stopping (the Akaroa idea): a point runs a first batch of
// replications, then more in rounds, until the throughput of every series it
// holds (a sim point: one stack; a crossover cell: each stack of both sides)
// has a 95% half-width within `precision` of its mean, or the point has
// `max_replications`. A round decides on the replications a point already
// has, in replication order, and the added runs take the next replication
// indices, so the results are the same bits whatever the thread count.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "sim/experiment/run.hpp"

namespace stacksim {

struct StoppingRule {
  double precision = 0;  // the 95% half-width over the mean to reach; 0: off
  int max_replications = 50;
  bool on() const { return precision > 0; }
};

// `rule` for points that start with `first` replications: precision in
// (0, 1) and `first` >= 2 (InputError naming `precision_flag`), at most
// max_replications (naming `max_flag`).
void check_stopping_rule(const StoppingRule& rule, int first, const char* precision_flag,
                         const char* max_flag);

// Whether the replications' throughput half-width is within `precision`
// of their mean (false with fewer than two).
bool meets_precision(const std::vector<RunResult>& replications, double precision);

// The series a point holds, each in replication order, all equally long.
using PointSeries = std::vector<const std::vector<RunResult>*>;

// Replications the point needs for each series to meet the precision,
// judged from those it has: at least one more, at most double, at most
// the rule's maximum; as many as it has when all meet it.
std::size_t replications_needed(const PointSeries& point, const StoppingRule& rule);

// Replications [first, first + count) to add to point `point`.
struct MoreReplications {
  std::size_t point = 0;
  int first = 0;
  int count = 0;
};

// Rounds of sequential stopping over `points` points: `series_of(i)` gives
// point i's series; `run_more` runs a round's replications and appends
// each to its point's series. Returns when no point needs more.
void replicate_until_precise(
    std::size_t points, const StoppingRule& rule,
    const std::function<PointSeries(std::size_t)>& series_of,
    const std::function<void(const std::vector<MoreReplications>&)>& run_more);

}  // namespace stacksim
