// nginx: a few single-threaded worker processes (one per core by default).
// A new client connection lands on one of them at random, as the kernel
// spreads accepts when every worker waits on the listen socket.
#pragma once

#include <string>
#include <vector>

#include "sim/engine/rng.hpp"
#include "sim/resources/cpu_host.hpp"

namespace stacksim {

class Proxy {
 public:
  Proxy(CpuHost& host, int workers, Rng rng) : rng_(rng) {
    for (int w = 0; w < workers; ++w)
      workers_.push_back(host.add_process("nginx.worker." + std::to_string(w)));
  }
  int choose() { return static_cast<int>(rng_.uniform_index(workers_.size())); }
  ProcessId process(int worker) const { return workers_[worker]; }
  const std::vector<ProcessId>& processes() const { return workers_; }

 private:
  std::vector<ProcessId> workers_;
  Rng rng_;
};

}  // namespace stacksim
