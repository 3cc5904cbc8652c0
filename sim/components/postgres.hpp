// PostgreSQL: one backend process per server session, forked when pgbouncer
// first opens the session and kept while pgbouncer keeps it.
#pragma once

#include <string>
#include <vector>

#include "sim/resources/cpu_host.hpp"

namespace stacksim {

class Postgres {
 public:
  // idle_inflation: each backend's load dependence (CpuHost).
  explicit Postgres(CpuHost& host, double idle_inflation = 0)
      : host_(host), idle_inflation_(idle_inflation) {}

  ProcessId backend(int session) {
    while (static_cast<int>(backends_.size()) <= session) {
      backends_.push_back(
          host_.add_process("postgres.backend." + std::to_string(backends_.size())));
      host_.set_idle_inflation(backends_.back(), idle_inflation_);
    }
    return backends_[session];
  }
  // Backends are kept while pgbouncer keeps their sessions: all of them are open.
  const std::vector<ProcessId>& backends() const { return backends_; }

 private:
  CpuHost& host_;
  double idle_inflation_;
  std::vector<ProcessId> backends_;
};

}  // namespace stacksim
