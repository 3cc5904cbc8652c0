// The load generator: ab as the article ran it (closed loop, C clients, a
// new connection per request), wrk as an option (Connection: close, one
// thread). Latency percentiles come from per-request data (ab -g), not from
// ab's rounded summary; wrk's come from its own histogram via a Lua done().
// Failed requests include non-2xx answers.
#pragma once

#include <string>
#include <vector>

#include "live/os/process.hpp"

namespace stacksim::live {

struct LoadSettings {
  std::string generator = "ab";  // "ab" | "wrk"
  int port = 0;                  // nginx
  std::string path = "/test";
  int clients = 1;
  double duration_s = 0;  // > 0: timed run
  long requests = 0;      // > 0: fixed count (ab only; wrk is always timed)
  std::string work_dir;   // per-request data files go here
  std::string label;      // "warmup" / "window"
  Placement placement;    // its cgroup, CPUs and session
};

struct LoadResult {
  std::string generator;
  long completed = 0;  // 2xx answers
  long failed = 0;     // connection/receive errors and non-2xx answers
  long non_2xx = 0;
  double elapsed_s = 0;  // as the generator reports it
  double throughput_rps = 0;
  double mean_ms = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
  long samples = 0;  // per-request latencies the percentiles come from
};

// Nearest-rank percentile of sorted values (p in [0, 100]).
double nearest_rank_percentile(const std::vector<double>& sorted, double p);

// Parses ab's stdout and its -g file (tests feed it recorded text).
LoadResult parse_ab_output(const std::string& stdout_text, const std::string& gnuplot_text);
// Parses the JSON line our wrk script prints in done().
LoadResult parse_wrk_output(const std::string& stdout_text);

// The argv that will be run (ab: -n after -t, or -t silently implies -n 50000).
std::vector<std::string> load_generator_argv(const LoadSettings& s);

// Runs the generator to completion (interruptibly) and parses its output;
// throws runtime_error naming the log if it failed.
LoadResult run_load(const LoadSettings& s);

}  // namespace stacksim::live
