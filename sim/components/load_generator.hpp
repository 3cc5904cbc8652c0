// The load generator, ab: one single-threaded process. Closed loop: C
// clients, each with one request outstanding and zero think time, opening a
// new connection per request (no keep-alive). Open loop: Poisson arrivals at
// a fixed rate, each a new connection, however many are outstanding.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "sim/components/observer.hpp"
#include "sim/components/request.hpp"
#include "sim/engine/distribution.hpp"
#include "sim/engine/rng.hpp"
#include "sim/engine/simulator.hpp"
#include "sim/resources/cpu_host.hpp"

namespace stacksim {

class LoadGenerator final : public EventHandler {
 public:
  // clients > 0: closed loop. Otherwise open loop at rate_rps.
  LoadGenerator(Simulator& sim, CpuHost& host, RequestRouter& router, int clients, double rate_rps,
                Rng rng);

  void start();
  // The request is over (done or failed): closed loop issues the client's next.
  void finished(Request& r);

  ProcessId process() const { return process_; }
  std::uint64_t issued() const { return next_id_; }
  void stop_issuing() { stopped_ = true; }

  void on_event(std::uint64_t arg) override;  // an open-loop arrival

 private:
  Request& fresh_request();
  void issue(Request& r);

  Simulator& sim_;
  RequestRouter& router_;
  ProcessId process_;
  int clients_;
  Distribution interarrival_ns_;
  Rng rng_;
  std::vector<std::unique_ptr<Request>> requests_;  // stable addresses
  std::vector<Request*> free_;
  std::uint64_t next_id_ = 0;
  bool stopped_ = false;
};

}  // namespace stacksim
