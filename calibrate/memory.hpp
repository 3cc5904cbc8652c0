// `stacksim calibrate memory`: the RAM of each stack's app server, from the
// `memory` of live records (live/measure/app_memory: every process's PSS
// after the window) into the model's `stacks.<name>.memory`. Per stack, the
// app server's total PSS against its worker count, a least-squares line
// total = master_mb + W x worker_mb over the records: the slope is what one
// more worker costs (its private pages and its share of the shared ones),
// the intercept what the server costs with none (its master, and the pages
// every worker shares). An async server's workers also hold many client
// connections each, and what they keep grows with them: with records at two
// client counts or more, total = master + W x worker + C x connection. With
// one worker count the slope cannot be told from the intercept: the
// workers' mean PSS and the master's are used instead.
#pragma once

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

struct MemoryPoint {
  int workers = 0;
  int clients = 0;   // the run's load (0 where the record lacks it)
  bool sync = true;  // a sync server: one connection per worker at a time
  // The client connections the server held: a closed loop's clients, at
  // most one per worker for a sync server.
  double connections() const { return sync ? std::min(clients, workers) : clients; }
  double total_pss_mb = 0;
  double master_pss_mb = 0;       // 0 without a master
  double worker_pss_mb_mean = 0;  // over the worker processes
  double total_rss_mb = 0;
  std::string run_id;
};

struct MemoryFit {
  StackMemory memory;
  std::vector<MemoryPoint> points;
  std::string method;  // "line over worker counts" or "means (one worker count)"
};

// The fits of every stack with a record holding `memory`; records without
// it (older ones) are skipped. `source` names the file in errors.
std::map<std::string, MemoryFit> fit_memory(const std::vector<nlohmann::json>& records,
                                            const std::string& source);

// The checks fit_memory and check_memory make of the records, alone: a
// record whose `memory` lacks a figure, or no record with `memory`, is an
// InputError naming `source` (and the record's line).
void validate_memory_records(const std::vector<nlohmann::json>& records, const std::string& source);

// Sets each fitted stack's memory in the model (a stack the model lacks is
// an InputError naming it) and records how in provenance.memory.
void apply_memory(Model& model, const std::map<std::string, MemoryFit>& fits,
                  const std::string& records_path);

std::string memory_table(const std::map<std::string, MemoryFit>& fits);

// A model's memory against records it may not have seen (`calibrate memory
// --check`): per record, the measured total PSS and the model's
// master_mb + W x worker_mb + C x connection_mb for its workers and
// connections (MemoryPoint::connections). A stack of the records
// that the model lacks, or holds without `memory`, is an InputError naming it.
struct MemoryCheck {
  std::string stack;
  MemoryPoint measured;
  double predicted_mb = 0;
  double relative_error() const { return predicted_mb / measured.total_pss_mb - 1; }
};
std::vector<MemoryCheck> check_memory(const Model& model,
                                      const std::vector<nlohmann::json>& records,
                                      const std::string& source);
// One line per record, then the median and the largest |error|.
std::string memory_check_table(const std::vector<MemoryCheck>& checks);

}  // namespace stacksim::calibrate
