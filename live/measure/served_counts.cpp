#include "live/measure/served_counts.hpp"

#include <dirent.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <vector>

namespace stacksim::live {
namespace {

// A count is decimal digits and a newline; anything else was read while
// the first write was under way.
bool parse_count(const std::string& text, long& out) {
  if (text.size() < 2 || text.back() != '\n') return false;
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size() - 1 || v < 0) return false;
  out = v;
  return true;
}

double median_of(std::vector<long> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? static_cast<double>(v[n / 2])
                    : (static_cast<double>(v[n / 2 - 1]) + static_cast<double>(v[n / 2])) / 2;
}

}  // namespace

ServedCounts read_served_counts(const std::string& dir) {
  ServedCounts out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream in(dir + "/" + e->d_name);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    long count = 0;
    if (parse_count(text, count)) out[static_cast<pid_t>(pid)] = count;
  }
  ::closedir(d);
  return out;
}

nlohmann::json served_json(const ServedWindow& w) {
  nlohmann::json per_worker = nlohmann::json::array();
  std::vector<long> counts;
  long sum = 0;
  int serving = 0;
  for (const auto& [pid, total] : w.end) {
    const auto it = w.begin.find(pid);
    // A smaller count than before is a new process under a reused PID.
    const long before = it == w.begin.end() || it->second > total ? 0 : it->second;
    const long n = total - before;
    per_worker.push_back({{"pid", pid}, {"requests", n}});
    counts.push_back(n);
    sum += n;
    serving += n > 0;
  }
  // Workers that never served have no file: they served 0.
  while (static_cast<int>(counts.size()) < w.workers) counts.push_back(0);
  const long max = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  const long min = counts.empty() ? 0 : *std::min_element(counts.begin(), counts.end());
  const double mean = counts.empty() ? 0 : static_cast<double>(sum) / counts.size();
  const long difference = sum - w.expected;
  return {{"per_worker", per_worker},
          {"workers", static_cast<long>(counts.size())},
          {"workers_serving", serving},
          {"min", min},
          {"median", median_of(counts)},
          {"max", max},
          {"mean", mean},
          {"imbalance_max_over_mean",
           mean > 0 ? nlohmann::json(static_cast<double>(max) / mean) : nlohmann::json(nullptr)},
          {"sum", sum},
          {"expected", w.expected},
          {"difference", difference},
          {"in_flight_bound", w.in_flight_bound},
          {"adds_up", difference >= 0 && difference <= w.in_flight_bound}};
}

}  // namespace stacksim::live
