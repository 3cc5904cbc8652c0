// Listens to completed requests and keeps what a report needs: the latency
// histogram (bounded memory, whatever the request count), the mean of every
// phase of the breakdown, and how long requests held a worker and a session.
#pragma once

#include <array>
#include <cstdint>

#include "sim/components/request.hpp"
#include "sim/metrics/latency_histogram.hpp"

namespace stacksim {

class RequestRecorder {
 public:
  void record(const Request& r, SimTime now) {
    latency_.record(now - r.start_ns);
    for (int p = 0; p < kPhaseCount; ++p) phase_sum_ns_[p] += static_cast<double>(r.phase_ns[p]);
    worker_held_sum_ns_ += static_cast<double>(r.worker_held_ns);
    session_held_sum_ns_ += static_cast<double>(r.session_held_ns);
  }
  void record_failure() { ++failed_; }
  void reset() { *this = RequestRecorder{}; }

  const LatencyHistogram& latency() const { return latency_; }
  std::uint64_t completed() const { return latency_.count(); }
  std::uint64_t failed() const { return failed_; }
  double phase_mean_ns(Phase p) const { return mean(phase_sum_ns_[static_cast<int>(p)]); }
  double worker_held_mean_ns() const { return mean(worker_held_sum_ns_); }
  double session_held_mean_ns() const { return mean(session_held_sum_ns_); }

 private:
  double mean(double sum) const {
    return completed() ? sum / static_cast<double>(completed()) : 0.0;
  }
  LatencyHistogram latency_;
  std::array<double, kPhaseCount> phase_sum_ns_{};
  double worker_held_sum_ns_ = 0.0;
  double session_held_sum_ns_ = 0.0;
  std::uint64_t failed_ = 0;
};

}  // namespace stacksim
