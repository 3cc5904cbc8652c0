// pgbouncer in session pooling: one single-threaded process and a pool of at
// most S server sessions, opened lazily and kept. A client that logs in gets
// a session for the life of its connection (FIFO wait when all S are taken).
// When the client disconnects, pgbouncer's side runs off the request's path:
// pgbouncer reads the close (with the kernel work of that hop), the backend
// runs the reset query (DISCARD ALL), and only then is the session free.
#pragma once

#include <cstdint>

#include "sim/components/postgres.hpp"
#include "sim/components/request.hpp"
#include "sim/engine/rng.hpp"
#include "sim/resources/cpu_host.hpp"
#include "sim/resources/pool.hpp"
#include "sim/scenario/config.hpp"

namespace stacksim {

class Pgbouncer final : public EventHandler {
 public:
  Pgbouncer(CpuHost& host, Postgres& postgres, const PgbouncerModel& model,
            const PostgresModel& pg_model, const Distribution& hop, int sessions, Rng rng);

  ProcessId process() const { return process_; }
  // A session for r now (r.session set, r.unit_created if it is new) or
  // later through `granted`.
  bool acquire(Request& r, Continuation granted);
  // The client has gone: close, reset and free its session, off-path.
  void release(int session);

  Pool& sessions() { return pool_; }
  const Pool& sessions() const { return pool_; }

  void on_event(std::uint64_t arg) override;  // a stage of a release

 private:
  enum Stage : std::uint64_t { kCloseDone, kResetDone, kStages };
  SimTime draw(const Distribution& d) { return static_cast<SimTime>(d.sample(rng_)); }

  CpuHost& host_;
  Postgres& postgres_;
  ProcessId process_;
  const PgbouncerModel& model_;
  const PostgresModel& pg_model_;
  Distribution hop_;
  Pool pool_;
  Rng rng_;
};

}  // namespace stacksim
