// PostgreSQL: one backend process per server session, forked when pgbouncer
// first opens the session and kept while pgbouncer keeps it.
#pragma once

#include <string>
#include <vector>

#include "sim/resources/cpu_host.hpp"

namespace stacksim {

class Postgres {
 public:
  explicit Postgres(CpuHost& host) : host_(host) {}

  ProcessId backend(int session) {
    while (static_cast<int>(backends_.size()) <= session) {
      backends_.push_back(
          host_.add_process("postgres.backend." + std::to_string(backends_.size())));
    }
    return backends_[session];
  }
  const std::vector<ProcessId>& backends() const { return backends_; }

 private:
  CpuHost& host_;
  std::vector<ProcessId> backends_;
};

}  // namespace stacksim
