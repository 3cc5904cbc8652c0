// A sweep as independent points: (scenario, configuration, stack,
// replication), each with a stable id, so that a sweep of any size can run
// as shards (`stacksim sim --shard K/N --out FILE.jsonl`) anywhere, in any
// order, and be merged back (`stacksim merge`) into exactly the document an
// unsharded run prints.
//
// Ids are FNV-1a 64 (sim/engine/rng.hpp) over canonical JSON (nlohmann's
// dump, keys sorted): the sweep's id over the model and every scenario as
// run (after --set and --stack); a point's over the model's hash, its
// configuration's full scenario, its stack, its replication and its seed.
// Points are numbered in the canonical order (scenarios as given,
// configurations in sweep order, stacks in the scenario's order,
// replications ascending); point i belongs to shard i mod N, K 0-based.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sim/experiment/experiment.hpp"

namespace stacksim {

struct ShardSpec {
  int index = 0;  // 0-based, like SLURM_ARRAY_TASK_ID
  int count = 1;
};

// "K/N" with 0 <= K < N; InputError naming --shard otherwise.
ShardSpec parse_shard_spec(const std::string& text);

// The shard a batch scheduler gives through the environment, or nullopt:
// SLURM_ARRAY_TASK_ID (less SLURM_ARRAY_TASK_MIN when set) of
// SLURM_ARRAY_TASK_COUNT; else JOB_COMPLETION_INDEX (Kubernetes Indexed
// Jobs) of `count` (--shard-count), or of STACKSIM_SHARD_COUNT when `count`
// is 0. InputError naming the variable when one is malformed or out of range.
std::optional<ShardSpec> shard_from_environment(int count);

// One point of a sweep and where it lies.
struct SweepPoint {
  std::string id;  // 16 hex digits
  std::size_t scenario = 0, configuration = 0, stack = 0;
  int replication = 0;
  std::string label, stack_name;
};

// The sweep: the model and its scenarios as run, the skeleton of each
// scenario's results, and every point in the canonical order.
class Sweep {
 public:
  Sweep(const Model& model, std::vector<Scenario> scenarios);
  const std::string& id() const { return id_; }
  const std::vector<SweepPoint>& points() const { return points_; }
  const std::vector<Scenario>& scenarios() const { return scenarios_; }

  // Runs the points of `shard` and returns the shard's JSON lines: a header
  // naming the sweep, then one line per point with every figure.
  std::string run_shard(const ShardSpec& shard, unsigned threads,
                        Progress* progress = nullptr) const;

  // The results of every scenario, from shard files' lines (`sources` name
  // them in messages). InputError: a shard of another sweep, a point given
  // twice with different bits, or points missing (how many and which).
  std::vector<std::vector<ConfigurationResult>> merge(
      const std::vector<std::string>& texts, const std::vector<std::string>& sources) const;

 private:
  const Model& model_;
  std::vector<Scenario> scenarios_;
  std::vector<std::vector<ConfigurationResult>> skeletons_;
  std::vector<SweepPoint> points_;
  std::string id_;
};

// Every figure of a run, doubles to the bit (non-finite ones as strings).
nlohmann::json run_result_to_json(const RunResult& r);
RunResult run_result_from_json(const nlohmann::json& j);

}  // namespace stacksim
