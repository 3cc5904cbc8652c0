#include "calibrate/memory.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "calibrate/least_squares.hpp"
#include "calibrate/validation.hpp"
#include "common/input_error.hpp"

namespace stacksim::calibrate {

namespace {

using nlohmann::json;

double number_at(const json& j, const char* key, const std::string& where) {
  if (!j.contains(key) || !j.at(key).is_number())
    throw InputError(where + ": memory." + key + ": must be a number");
  return j.at(key).get<double>();
}

MemoryPoint point_of(const json& record, const std::string& where) {
  const json& m = record.at("memory");
  MemoryPoint p;
  p.workers = record.at("config").at("workers").get<int>();
  p.clients = record.at("config").value("clients", 0);
  p.sync = record.at("config").value("type", "sync") == "sync";
  p.total_pss_mb = number_at(m, "total_pss_mb", where);
  p.total_rss_mb = number_at(m, "total_rss_mb", where);
  p.worker_pss_mb_mean = number_at(m, "worker_pss_mb_mean", where);
  if (m.contains("master") && m.at("master").is_object())
    p.master_pss_mb = number_at(m.at("master"), "pss_mb", where);
  p.run_id = record.value("run_id", "");
  return p;
}

// Least squares of total PSS on W, and on the clients for a server whose
// workers hold many connections (identified only with two client counts or
// more, and kept only when positive); with one worker count, the means.
MemoryFit fit_points(std::vector<MemoryPoint> points) {
  MemoryFit f;
  f.points = std::move(points);
  std::set<int> counts, client_counts;
  std::vector<double> workers, totals, clients;
  bool sync = true;
  for (const MemoryPoint& p : f.points) {
    counts.insert(p.workers);
    client_counts.insert(p.clients);
    workers.push_back(p.workers);
    totals.push_back(p.total_pss_mb);
    clients.push_back(p.clients);
    sync = sync && p.sync;
  }
  const double n = static_cast<double>(f.points.size());
  const std::string over = " over " + std::to_string(counts.size()) + " worker counts";
  if (counts.size() >= 2) {
    std::vector<Column> extra;
    if (!sync && client_counts.size() >= 2) extra.emplace_back("clients", clients);
    LinearFit line = fit_linear(workers, totals, /*with_slope=*/true, extra, /*exact=*/true);
    const ExtraTerm* per_client = line.term("clients");
    f.method = "least squares of total PSS on workers" + over;
    if (per_client != nullptr && per_client->identified && per_client->coef > 0) {
      f.memory.connection_mb = per_client->coef;
      f.method = "least squares of total PSS on workers and clients" + over + " and " +
                 std::to_string(client_counts.size()) + " client counts";
    } else {
      if (per_client != nullptr)
        f.method += " (a per-client term came out " +
                    std::string(per_client->identified ? "negative" : "unidentified") +
                    ": left out)";
      line = fit_linear(workers, totals, /*with_slope=*/true, {}, /*exact=*/true);
    }
    f.memory.worker_mb = std::max(0.0, line.slope);
    f.memory.master_mb = std::max(0.0, line.intercept);
  } else {
    for (const MemoryPoint& p : f.points) {
      f.memory.worker_mb += p.worker_pss_mb_mean / n;
      f.memory.master_mb += p.master_pss_mb / n;
    }
    f.method = "means of the worker and master PSS (one worker count)";
  }
  return f;
}

// The records' memory points by stack; records without `memory` (older
// ones) are skipped, and none at all is an InputError.
std::map<std::string, std::vector<MemoryPoint>> points_by_stack(const std::vector<json>& records,
                                                                const std::string& source) {
  std::map<std::string, std::vector<MemoryPoint>> by_stack;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& r = records[i];
    if (!r.contains("memory") || !r.at("memory").is_object()) continue;
    const std::string where = source + ":" + std::to_string(i + 1);
    by_stack[r.at("config").at("stack").get<std::string>()].push_back(point_of(r, where));
  }
  if (by_stack.empty())
    throw InputError("--records " + source + ": no record holds `memory` (run the plan again " +
                     "with this stacksim: calibrate/plans/memory.json)");
  return by_stack;
}

}  // namespace

void validate_memory_records(const std::vector<json>& records, const std::string& source) {
  points_by_stack(records, source);
}

std::map<std::string, MemoryFit> fit_memory(const std::vector<json>& records,
                                            const std::string& source) {
  auto by_stack = points_by_stack(records, source);
  std::map<std::string, MemoryFit> fits;
  for (auto& [stack, points] : by_stack) fits.emplace(stack, fit_points(std::move(points)));
  return fits;
}

void apply_memory(Model& model, const std::map<std::string, MemoryFit>& fits,
                  const std::string& records_path) {
  json how = {{"records", records_path},
              {"figure", "PSS from /proc/<pid>/smaps_rollup, MB (1024 kB)"},
              {"stacks", json::object()}};
  for (const auto& [stack, f] : fits) {
    auto it = model.stacks.find(stack);
    if (it == model.stacks.end())
      throw InputError("--records " + records_path + ": stack \"" + stack +
                       "\" is not in the model " + model.source);
    it->second.memory = f.memory;
    json points = json::array();
    for (const MemoryPoint& p : f.points)
      points.push_back({{"workers", p.workers},
                        {"total_pss_mb", p.total_pss_mb},
                        {"total_rss_mb", p.total_rss_mb},
                        {"clients", p.clients},
                        {"master_pss_mb", p.master_pss_mb},
                        {"worker_pss_mb_mean", p.worker_pss_mb_mean},
                        {"run_id", p.run_id}});
    how["stacks"][stack] = {{"method", f.method}, {"points", points}};
  }
  model.provenance["memory"] = how;
}

std::string memory_table(const std::map<std::string, MemoryFit>& fits) {
  std::string out =
      "stack                        worker_mb  master_mb  connection_mb  records  method\n";
  char line[256];
  for (const auto& [stack, f] : fits) {
    std::snprintf(line, sizeof line, "%-28s %9.1f %10.1f %14.2f %8zu  %s\n", stack.c_str(),
                  f.memory.worker_mb, f.memory.master_mb, f.memory.connection_mb, f.points.size(),
                  f.method.c_str());
    out += line;
  }
  return out;
}

std::vector<MemoryCheck> check_memory(const Model& model, const std::vector<json>& records,
                                      const std::string& source) {
  std::vector<MemoryCheck> checks;
  for (const auto& [stack, points] : points_by_stack(records, source)) {
    const auto it = model.stacks.find(stack);
    if (it == model.stacks.end() || !it->second.memory)
      throw InputError("--records " + source + ": stack \"" + stack +
                       "\" has no memory in the model " + model.source +
                       " (stacksim calibrate memory puts it there)");
    for (const MemoryPoint& p : points)
      checks.push_back({stack, p, it->second.memory->mb_for(p.workers, p.connections())});
  }
  return checks;
}

std::string memory_check_table(const std::vector<MemoryCheck>& checks) {
  std::string out =
      "stack                        workers clients  measured_mb  predicted_mb   error\n";
  char line[256];
  std::vector<double> abs_errors;
  for (const MemoryCheck& c : checks) {
    std::snprintf(line, sizeof line, "%-28s %7d %7d %12.1f %13.1f %+6.1f%%\n", c.stack.c_str(),
                  c.measured.workers, c.measured.clients, c.measured.total_pss_mb, c.predicted_mb,
                  100 * c.relative_error());
    out += line;
    abs_errors.push_back(std::abs(c.relative_error()));
  }
  std::snprintf(line, sizeof line, "\n%zu records: median |error| %.1f%%, largest %.1f%%\n",
                checks.size(), 100 * median_of(abs_errors),
                100 * *std::max_element(abs_errors.begin(), abs_errors.end()));
  return out + line;
}

}  // namespace stacksim::calibrate
