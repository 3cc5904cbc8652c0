#include "common/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <utility>

namespace stacksim {

std::string progress_line(std::size_t done, std::size_t total, double rate_per_s, double eta_s,
                          std::string_view what) {
  constexpr std::size_t kWidth = 30;
  const std::size_t filled = total > 0 ? kWidth * std::min(done, total) / total : kWidth;
  std::string line = "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] " +
                     std::to_string(done) + "/" + std::to_string(total);
  char buf[64];
  if (rate_per_s >= 0) {
    std::snprintf(buf, sizeof buf, " %.3g/s", rate_per_s);
    line += buf;
  }
  if (eta_s >= 0) {
    const long s = std::lround(eta_s);
    std::snprintf(buf, sizeof buf, " ETA %ld:%02ld", s / 60, s % 60);
    line += buf;
  }
  if (!what.empty()) line += " " + std::string(what.substr(0, 60));
  return line;
}

bool stderr_is_terminal() {
  return ::isatty(STDERR_FILENO) == 1;
}

Progress::Progress(std::string unit, std::size_t total, bool enabled, std::FILE* out)
    : unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      out_(out),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

Progress::~Progress() {
  std::lock_guard lock(mutex_);
  if (!enabled_ || !printed_) return;
  print_locked(true);
  std::fputc('\n', out_);
  std::fflush(out_);
}

void Progress::add_total(std::size_t n) {
  std::lock_guard lock(mutex_);
  total_ += n;
}

void Progress::advance(std::size_t n) {
  std::lock_guard lock(mutex_);
  done_ += n;
  print_locked(false);
}

void Progress::set_label(std::string label) {
  std::lock_guard lock(mutex_);
  label_ = std::move(label);
  print_locked(false);
}

void Progress::print_locked(bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && printed_ && now - last_print_ < std::chrono::milliseconds(200)) return;
  last_print_ = now;
  printed_ = true;
  const double elapsed_s = std::chrono::duration<double>(now - start_).count();
  const double rate = done_ > 0 && elapsed_s > 0 ? static_cast<double>(done_) / elapsed_s : -1;
  const double eta = rate > 0 ? static_cast<double>(total_ - std::min(done_, total_)) / rate : -1;
  const std::string what = label_.empty() ? unit_ : unit_ + ": " + label_;
  std::fprintf(out_, "\r%-110s", progress_line(done_, total_, rate, eta, what).c_str());
  std::fflush(out_);
}

}  // namespace stacksim
