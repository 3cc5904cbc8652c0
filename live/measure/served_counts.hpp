// Requests served per app worker process. The apps' database helpers
// (live/apps/served.py) keep each worker's running count in
// <dir>/<pid>; the runner reads every file just before and just after the
// measured window, and the difference is what each worker served in it.
// Nothing in the stack counts requests per worker without the apps' help.
#pragma once

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace stacksim::live {

// The environment variable naming the directory (the contract with the apps).
inline constexpr const char* kServedDirEnv = "STACKSIM_SERVED_DIR";

using ServedCounts = std::map<pid_t, long>;  // pid -> requests served since it started

// Every <pid> file of `dir`; a file that cannot be read or parsed (a
// worker caught between its open and its first write) is left out.
ServedCounts read_served_counts(const std::string& dir);

struct ServedWindow {
  ServedCounts begin, end;
  int workers = 0;           // configured: workers that never served count as 0
  long expected = 0;         // completed + failed of the window
  long in_flight_bound = 0;  // requests that can be in flight at the window's end (clients)
};

// The record's `served`: per worker the requests served in the window, the
// spread over the configured workers, and whether the sum matches the load
// generator's count (sum - expected in [0, in_flight_bound]: nothing is in
// flight when the window opens; ab abandons what is in flight when it ends,
// and the app may already have counted those).
nlohmann::json served_json(const ServedWindow& w);

}  // namespace stacksim::live
