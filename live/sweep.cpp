#include "live/sweep.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "common/input_error.hpp"
#include "common/progress.hpp"
#include "live/os/process_registry.hpp"
#include "live/repeat_summary.hpp"
#include "live/results_store.hpp"
#include "sim/engine/rng.hpp"

namespace stacksim::live {
namespace {

using nlohmann::json;

// `eta_s` < 0: not known yet (no run of this sweep has finished).
// (Runs of minutes each: written on every run, to a log as well as a terminal.)
void progress_bar(std::size_t done, std::size_t total, const std::string& what, double eta_s) {
  std::fprintf(stderr, "\r%-110s", progress_line(done, total, -1, eta_s, what).c_str());
  std::fflush(stderr);
}

std::string describe(const RunConfig& c) {
  std::ostringstream o;
  o << c.stack << " W=" << c.workers << " C=" << c.clients << " S=" << c.sessions
    << " D=" << c.delay_ms << "ms #" << c.repeat;
  return o.str();
}

void check_sweep_header(const json& doc, const std::string& path) {
  if (!doc.is_object()) throw InputError(path + ": must be a JSON object");
  static const std::set<std::string> kKnown = {
      "schema", "version", "name", "description", "base", "grid", "runs", "repeats", "seed"};
  for (const auto& [key, unused] : doc.items()) {
    if (!kKnown.count(key)) throw InputError(path + "." + key + ": unknown field");
  }
  if (doc.value("schema", "") != "stacksim.live-sweep") {
    throw InputError(path + ".schema: must be \"stacksim.live-sweep\"");
  }
  if (!doc.contains("version") || !doc.at("version").is_number_integer() ||
      doc.at("version").get<int>() != 1) {
    throw InputError(path + ".version: only version 1 is understood");
  }
}

void read_repeats_and_seed(const json& doc, const std::string& path, SweepPlan& plan) {
  if (doc.contains("repeats")) {
    if (!doc.at("repeats").is_number_integer() || doc.at("repeats").get<int>() < 1) {
      throw InputError(path + ".repeats: must be an integer of at least 1");
    }
    plan.repeats = doc.at("repeats").get<int>();
  }
  if (doc.contains("seed")) {
    const auto& seed = doc.at("seed");
    if (!seed.is_number_integer() || (!seed.is_number_unsigned() && seed.get<long long>() < 0)) {
      throw InputError(path + ".seed: must be a non-negative integer");
    }
    plan.seed = doc.at("seed").get<std::uint64_t>();
  }
}

// "runs": a list of knob objects, each over the base.
std::vector<RunConfig> listed_configs(const json& runs, const RunConfig& base,
                                      const std::string& path) {
  if (!runs.is_array()) throw InputError(path + ".runs: must be a list of knob objects");
  std::vector<RunConfig> configs;
  int i = 0;
  for (const auto& r : runs) {
    configs.push_back(config_from_json(r, base, path + ".runs[" + std::to_string(i++) + "]"));
  }
  return configs;
}

// "grid": knobs to lists of values; every combination, each over the base.
std::vector<RunConfig> grid_configs(const json& grid, const RunConfig& base,
                                    const std::string& path) {
  if (!grid.is_object()) throw InputError(path + ".grid: must map knobs to lists of values");
  std::vector<json> combos = {json::object()};
  for (const auto& [knob, values] : grid.items()) {
    if (!values.is_array() || values.empty()) {
      throw InputError(path + ".grid." + knob + ": must be a non-empty list");
    }
    std::vector<json> next;
    for (const auto& partial : combos) {
      for (const auto& v : values) {
        json c = partial;
        c[knob] = v;
        next.push_back(c);
      }
    }
    combos = std::move(next);
  }
  std::vector<RunConfig> configs;
  for (const auto& c : combos) configs.push_back(config_from_json(c, base, path + ".grid"));
  return configs;
}

// Each configuration `repeats` times, in an order shuffled by Fisher-Yates
// with the project's fixed generator: same seed, same order.
std::vector<SweepPoint> shuffled_points(const std::vector<RunConfig>& configs, int repeats,
                                        std::uint64_t seed) {
  std::vector<SweepPoint> points;
  for (const auto& c : configs) {
    for (int rep = 0; rep < repeats; ++rep) {
      SweepPoint p;
      p.config = c;
      p.config.repeat = rep;
      p.key = sweep_key(c);
      points.push_back(p);
    }
  }
  Rng rng(seed, "live.sweep.order", 0);
  for (std::size_t i = points.size(); i > 1; --i) {
    std::swap(points[i - 1], points[rng.uniform_index(i)]);
  }
  return points;
}

}  // namespace

std::string sweep_key(const RunConfig& c) {
  return config_json(c).dump();
}

SweepPlan load_sweep(const std::string& path, const RunConfig& defaults) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot read the sweep file");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw InputError(path + ": not valid JSON: " + e.what());
  }
  return parse_sweep(doc, path, defaults);
}

SweepPlan parse_sweep(const json& doc, const std::string& path, const RunConfig& defaults) {
  check_sweep_header(doc, path);
  SweepPlan plan;
  plan.path = path;
  plan.name = doc.value("name", "");
  read_repeats_and_seed(doc, path, plan);
  const RunConfig base =
      doc.contains("base") ? config_from_json(doc.at("base"), defaults, path + ".base") : defaults;

  std::vector<RunConfig> configs;
  if (doc.contains("runs")) configs = listed_configs(doc.at("runs"), base, path);
  if (doc.contains("grid")) {
    for (RunConfig& c : grid_configs(doc.at("grid"), base, path)) configs.push_back(std::move(c));
  }
  if (configs.empty())
    throw InputError(path + ": give \"runs\" or \"grid\" (no configuration to run)");
  for (const auto& c : configs) validate(c);
  plan.points = shuffled_points(configs, plan.repeats, plan.seed);
  return plan;
}

bool belongs_to(const SweepPlan& plan, const json& record) {
  if (!record.contains("sweep") || !record.at("sweep").is_object()) return false;
  const json& tag = record.at("sweep");
  if (!plan.name.empty()) return tag.value("name", "") == plan.name;
  return tag.value("file", "") == plan.path;
}

std::vector<SweepPoint> pending_points(const SweepPlan& plan, const std::vector<json>& records) {
  std::set<std::pair<std::string, int>> done;
  for (const auto& r : records) {
    if (!belongs_to(plan, r)) continue;
    done.insert({r.at("sweep").value("key", ""), r.at("sweep").value("repeat", -1)});
  }
  std::vector<SweepPoint> out;
  for (const auto& p : plan.points) {
    if (!done.count({p.key, p.config.repeat})) out.push_back(p);
  }
  return out;
}

int run_sweep(const SweepPlan& plan, const SweepOptions& options) {
  const auto pending = pending_points(plan, read_records(options.store));
  const std::size_t total = plan.points.size();
  std::size_t done = total - pending.size();
  if (done > 0)
    std::fprintf(stderr, "resuming: %zu of %zu runs already in %s\n", done, total,
                 options.store.c_str());
  int failures = 0;
  // The ETA: the mean time of this sweep's runs so far times those left.
  const auto started = std::chrono::steady_clock::now();
  std::size_t ran = 0;
  for (const auto& p : pending) {
    check_interrupted();
    const double elapsed_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    progress_bar(
        done, total, describe(p.config),
        ran > 0 ? elapsed_s / static_cast<double>(ran) * static_cast<double>(pending.size() - ran)
                : -1);
    try {
      json record = run_once(p.config);
      record["sweep"] = {
          {"file", plan.path}, {"name", plan.name}, {"key", p.key}, {"repeat", p.config.repeat}};
      append_record(options.store, record);
      if (options.json) std::printf("%s\n", record.dump().c_str());
    } catch (const Interrupted&) {
      std::fprintf(stderr, "\n");
      throw;
    } catch (const InputError&) {
      std::fprintf(stderr, "\n");
      throw;
    } catch (const std::exception& e) {
      ++failures;
      std::fprintf(stderr, "\nrun %s failed: %s\n", describe(p.config).c_str(), e.what());
      if (options.stop_on_error) throw;
    }
    ++done;
    ++ran;
  }
  progress_bar(done, total, "done", 0);
  std::fprintf(stderr, "\n");
  std::vector<json> mine;
  for (const auto& r : read_records(options.store)) {
    if (belongs_to(plan, r)) mine.push_back(r);
  }
  std::printf("%s", format_summary(summarise(mine)).c_str());
  return failures;
}

}  // namespace stacksim::live
