#include "sim/components/pgbouncer.hpp"

namespace stacksim {

Pgbouncer::Pgbouncer(CpuHost& host, Postgres& postgres, const PgbouncerModel& model,
                     const PostgresModel& pg_model, const Distribution& hop, int sessions, Rng rng)
    : host_(host),
      postgres_(postgres),
      process_(host.add_process("pgbouncer")),
      model_(model),
      pg_model_(pg_model),
      hop_(hop),
      pool_(sessions, /*lazy=*/true),
      rng_(rng) {
  host.set_idle_inflation(process_, model.load.idle_inflation);
}

bool Pgbouncer::acquire(Request& r, Continuation granted) {
  r.unit_created = false;
  const Pool::Grant g = pool_.acquire(granted, &r.session);
  if (g.unit < 0) return false;
  r.session = g.unit;
  r.unit_created = g.created;
  if (g.created) postgres_.backend(g.unit);
  return true;
}

void Pgbouncer::release(int session) {
  const std::uint64_t base = static_cast<std::uint64_t>(session) * kStages;
  host_.submit(process_, host_.stretch(process_, draw(model_.close)),
               Continuation{this, base + kCloseDone}, host_.stretch_kernel(draw(hop_)));
}

void Pgbouncer::on_event(std::uint64_t arg) {
  const int session = static_cast<int>(arg / kStages);
  const std::uint64_t base = arg - arg % kStages;
  switch (arg % kStages) {
    case kCloseDone:
      host_.submit(postgres_.backend(session),
                   host_.stretch(postgres_.backend(session), draw(pg_model_.reset)),
                   Continuation{this, base + kResetDone});
      break;
    case kResetDone:
      pool_.release(session);
      break;
  }
}

}  // namespace stacksim
