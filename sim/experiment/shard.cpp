#include "sim/experiment/shard.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>

#include "common/input_error.hpp"
#include "sim/engine/rng.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"

namespace stacksim {

namespace {
using nlohmann::json;

std::string hash_of(const json& j) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(fnv1a64(j.dump())));
  return text;
}

// A whole non-negative decimal number, or nullopt.
std::optional<int> whole_number(std::string_view s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

int env_number(const char* name) {
  const char* text = std::getenv(name);
  const auto v = whole_number(text ? text : "");
  if (!v)
    throw InputError(std::string(name) + ": \"" + (text ? text : "") + "\" is not a whole number");
  return *v;
}

ShardSpec checked(ShardSpec s, const std::string& where) {
  if (s.count < 1 || s.index < 0 || s.index >= s.count)
    throw InputError(where + ": shard " + std::to_string(s.index) + " of " +
                     std::to_string(s.count) + " is out of range (0 <= K < N)");
  return s;
}

std::string where_of(const SweepPoint& p) {
  return p.id + " (scenario " + std::to_string(p.scenario) + ", " + p.label + ", " + p.stack_name +
         ", replication " + std::to_string(p.replication) + ")";
}
}  // namespace

ShardSpec parse_shard_spec(const std::string& text) {
  const auto slash = text.find('/');
  const auto k = whole_number(std::string_view(text).substr(0, slash));
  const auto n = slash == std::string::npos ? std::nullopt : whole_number(text.substr(slash + 1));
  if (!k || !n) throw InputError("--shard: \"" + text + "\" is not K/N (shard K of N, 0-based)");
  return checked({*k, *n}, "--shard");
}

std::optional<ShardSpec> shard_from_environment(int count) {
  if (std::getenv("SLURM_ARRAY_TASK_ID") && std::getenv("SLURM_ARRAY_TASK_COUNT")) {
    const int min = std::getenv("SLURM_ARRAY_TASK_MIN") ? env_number("SLURM_ARRAY_TASK_MIN") : 0;
    return checked({env_number("SLURM_ARRAY_TASK_ID") - min, env_number("SLURM_ARRAY_TASK_COUNT")},
                   "SLURM_ARRAY_TASK_ID");
  }
  if (!std::getenv("JOB_COMPLETION_INDEX")) return std::nullopt;
  if (count == 0 && !std::getenv("STACKSIM_SHARD_COUNT"))
    throw InputError("JOB_COMPLETION_INDEX: needs --shard-count or STACKSIM_SHARD_COUNT");
  if (count == 0) count = env_number("STACKSIM_SHARD_COUNT");
  return checked({env_number("JOB_COMPLETION_INDEX"), count}, "JOB_COMPLETION_INDEX");
}

Sweep::Sweep(const Model& model, std::vector<Scenario> scenarios)
    : model_(model), scenarios_(std::move(scenarios)) {
  const std::string model_hash = hash_of(to_json(model));
  json whole = {{"model", model_hash}, {"scenarios", json::array()}};
  for (std::size_t s = 0; s < scenarios_.size(); ++s) {
    whole["scenarios"].push_back(to_json(scenarios_[s]));
    skeletons_.push_back(result_skeleton(model, scenarios_[s]));
    const auto& configurations = skeletons_.back();
    for (std::size_t c = 0; c < configurations.size(); ++c) {
      const Scenario& run = configurations[c].configuration.scenario;
      const json settings = to_json(run);
      for (std::size_t k = 0; k < configurations[c].stacks.size(); ++k) {
        const std::string& stack = configurations[c].stacks[k].stack;
        for (int rep = 0; rep < run.replications; ++rep) {
          const json key = {{"model", model_hash},
                            {"scenario", settings},
                            {"stack", stack},
                            {"replication", rep},
                            {"seed", run.seed}};
          points_.push_back(
              {hash_of(key), s, c, k, rep, configurations[c].configuration.label(), stack});
        }
      }
    }
  }
  id_ = hash_of(whole);
}

std::string Sweep::run_shard(const ShardSpec& shard, unsigned threads, Progress* progress) const {
  std::vector<const SweepPoint*> mine;
  std::vector<RunJob> jobs;
  for (std::size_t i = 0; i < points_.size(); ++i) {
    if (static_cast<int>(i % static_cast<std::size_t>(shard.count)) != shard.index) continue;
    const SweepPoint& p = points_[i];
    const ConfigurationResult& cr = skeletons_[p.scenario][p.configuration];
    mine.push_back(&p);
    jobs.push_back({&cr.configuration.scenario, &model_.stacks.at(p.stack_name), p.replication});
  }
  const std::vector<RunResult> runs = run_jobs(model_, jobs, threads, progress);
  std::string out =
      json{{"schema", "stacksim.shard"}, {"version", 1},         {"sweep", id_},
           {"points", points_.size()},   {"shard", shard.index}, {"shards", shard.count}}
          .dump() +
      "\n";
  for (std::size_t j = 0; j < mine.size(); ++j) {
    const SweepPoint& p = *mine[j];
    out += json{{"id", p.id},
                {"scenario", p.scenario},
                {"configuration", p.configuration},
                {"label", p.label},
                {"stack", p.stack_name},
                {"replication", p.replication},
                {"result", run_result_to_json(runs[j])}}
               .dump() +
           "\n";
  }
  return out;
}

namespace {
// What the shard files hold: each point's result by id, and the shard
// count of the first header (to say which shard should have had a point).
struct ShardContents {
  std::map<std::string, json> results;
  int shards = 0;
};

json parse_line(const std::string& line, const std::string& where) {
  try {
    return json::parse(line);
  } catch (const json::exception& e) {
    throw InputError(where + ": not JSON (" + e.what() + ")");
  }
}

void check_header(const json& header, const std::string& source, const std::string& sweep) {
  if (!header.is_object() || header.value("schema", "") != "stacksim.shard")
    throw InputError(source + ": not a shard file (its first line is no stacksim.shard header)");
  const std::string theirs = header.value("sweep", "");
  if (theirs != sweep)
    throw InputError(source + ": a shard of sweep " + theirs + ", not of this one (" + sweep +
                     "): another model, scenario, --set or --stack");
}

void read_shard(const std::string& text, const std::string& source, const std::string& sweep,
                ShardContents& into) {
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw InputError(source + ": empty, not a shard file");
  const json header = parse_line(line, source + ":1");
  check_header(header, source, sweep);
  if (into.shards == 0) into.shards = header.value("shards", 0);
  for (int n = 2; std::getline(in, line); ++n) {
    const std::string where = source + ":" + std::to_string(n);
    const json point = parse_line(line, where);
    if (!point.is_object() || !point.contains("id") || !point.contains("result"))
      throw InputError(where + ": a point needs \"id\" and \"result\"");
    const auto [it, fresh] = into.results.emplace(point["id"].get<std::string>(), point["result"]);
    if (!fresh && it->second != point["result"])
      throw InputError(where + ": point " + it->first + " given twice with different results");
  }
}
}  // namespace

std::vector<std::vector<ConfigurationResult>> Sweep::merge(
    const std::vector<std::string>& texts, const std::vector<std::string>& sources) const {
  ShardContents contents;
  for (std::size_t f = 0; f < texts.size(); ++f) read_shard(texts[f], sources[f], id_, contents);
  std::vector<std::vector<ConfigurationResult>> results = skeletons_;
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < points_.size(); ++i) {
    const SweepPoint& p = points_[i];
    const auto it = contents.results.find(p.id);
    if (it == contents.results.end()) {
      const std::size_t n = contents.shards > 0 ? static_cast<std::size_t>(contents.shards) : 1;
      missing.push_back(where_of(p) + " in shard " + std::to_string(i % n) + "/" +
                        std::to_string(n));
      continue;
    }
    results[p.scenario][p.configuration]
        .stacks[p.stack]
        .replications[static_cast<std::size_t>(p.replication)] = run_result_from_json(it->second);
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : "; ") + m;
    throw InputError("merge: " + std::to_string(missing.size()) + " of " +
                     std::to_string(points_.size()) + " points missing, rerun them: " + list);
  }
  return results;
}

}  // namespace stacksim
