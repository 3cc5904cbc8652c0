// Progress of a long command on stderr: a bar, done/total, the rate, the ETA
// and what runs now, rewritten in place ("\r"), at most five times a second,
// and ended with a newline. Written only where someone watches: to a
// terminal, unless the command was given --quiet (`enabled`). Thread-safe:
// the simulator's runs finish on any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

namespace stacksim {

// The line, without "\r": "[#####.....] 12/40 3.1/s ETA 0:09 what". A
// negative eta_s or rate is not known yet and left out.
std::string progress_line(std::size_t done, std::size_t total, double rate_per_s, double eta_s,
                          std::string_view what);

// Whether stderr is a terminal: the default of `enabled` below.
bool stderr_is_terminal();

class Progress {
 public:
  Progress(std::string unit, std::size_t total, bool enabled, std::FILE* out = stderr);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // More work than first known (a bisection's next round).
  void add_total(std::size_t n);
  void advance(std::size_t n = 1);
  // What runs now, shown after the ETA.
  void set_label(std::string label);

 private:
  void print_locked(bool force);

  std::mutex mutex_;
  std::string unit_, label_;
  std::size_t total_ = 0, done_ = 0;
  bool enabled_ = false;
  bool printed_ = false;
  std::FILE* out_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace stacksim
