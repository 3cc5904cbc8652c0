// File names of the configuration enums: one table per enum (common/name_table.hpp).
#include <algorithm>

#include "common/name_table.hpp"
#include "sim/scenario/config_names.hpp"

namespace stacksim {
namespace {

constexpr NameTable<WorkerType, 3> kWorkerTypes{{
    {WorkerType::kSync, "sync"},
    {WorkerType::kGreenlet, "greenlet"},
    {WorkerType::kCoroutine, "coroutine"},
}};
constexpr NameTable<AcceptPolicy, 3> kAcceptPolicies{{
    {AcceptPolicy::kRoundRobin, "round_robin"},
    {AcceptPolicy::kRandom, "random"},
    {AcceptPolicy::kLeastLoaded, "least_loaded"},
}};
constexpr NameTable<WorkerOrder, 2> kWorkerOrders{
    {{WorkerOrder::kFifo, "fifo"}, {WorkerOrder::kRandom, "random"}}};
constexpr NameTable<DbAccess, 2> kDbAccesses{
    {{DbAccess::kConnectPerRequest, "connect_per_request"}, {DbAccess::kAppPool, "app_pool"}}};
constexpr NameTable<LoadType, 2> kLoadTypes{
    {{LoadType::kClosed, "closed"}, {LoadType::kOpen, "open"}}};
constexpr NameTable<CpuCorrection, kCpuCorrectionCount> kCpuCorrections{{
    {CpuCorrection::kSpeed, "speed"},
    {CpuCorrection::kWakeupLatency, "wakeup_latency"},
    {CpuCorrection::kImbalance, "imbalance"},
    {CpuCorrection::kBackground, "background"},
    {CpuCorrection::kIdleInflation, "idle_inflation"},
    {CpuCorrection::kColdCache, "cold_cache"},
}};

}  // namespace

// Each table's to_string, parse_<name> and <name>_names.
STACKSIM_NAME_FUNCTIONS(WorkerType, kWorkerTypes, parse_worker_type, worker_type_names)
STACKSIM_NAME_FUNCTIONS(AcceptPolicy, kAcceptPolicies, parse_accept_policy, accept_policy_names)
STACKSIM_NAME_FUNCTIONS(WorkerOrder, kWorkerOrders, parse_worker_order, worker_order_names)
STACKSIM_NAME_FUNCTIONS(DbAccess, kDbAccesses, parse_db_access, db_access_names)
STACKSIM_NAME_FUNCTIONS(LoadType, kLoadTypes, parse_load_type, load_type_names)
STACKSIM_NAME_FUNCTIONS(CpuCorrection, kCpuCorrections, parse_cpu_correction, cpu_correction_names)

namespace {
Distribution times(const Distribution& d, double f) {
  return f == 1 ? d : Distribution(d.shape(), d.mean() * f, d.cv());
}
void scale_load(LoadDependence& l, double f) {
  l.per_backend_ns *= f;
  l.cold_ns_per_ms *= f;
}
// A group's load with the terms of the unused corrections off.
void keep_used(LoadDependence& l, CpuCorrections used) {
  if (!used.uses(CpuCorrection::kBackground)) l.background_cores = 0;
  if (!used.uses(CpuCorrection::kIdleInflation)) l.idle_inflation = 0;
  if (!used.uses(CpuCorrection::kColdCache)) l.cold_ns_per_ms = 0;
}
void keep_used(Model& m, CpuCorrections used) {
  if (used == CpuCorrections::all()) return;
  if (!used.uses(CpuCorrection::kSpeed)) m.host.speed = 1;
  if (!used.uses(CpuCorrection::kWakeupLatency)) m.host.wakeup_latency_ns = 0;
  if (!used.uses(CpuCorrection::kImbalance)) m.host.imbalance = 0;
  for (LoadDependence* l :
       {&m.client.load, &m.proxy.load, &m.kernel.load, &m.pgbouncer.load, &m.postgres.load})
    keep_used(*l, used);
  for (auto& [name, s] : m.stacks) keep_used(s.load, used);
}
}  // namespace

double cross_core_idle_factor(double r, int cores) {
  if (r <= 0 || cores < 1) return 1.0;
  return 1.0 + (1.0 - 1.0 / cores) * (r - 1.0);
}

double idle_core_scale(const HostModel& host, int cores) {
  if (!host.profile || cores == host.cores) return 1.0;
  const double r = host.profile->terms.cross_core_idle;
  return cross_core_idle_factor(r, cores) / cross_core_idle_factor(r, host.cores);
}

Model as_seen_by(const Model& m, const StackModel& stack, int cores) {
  Model out;
  out.source = m.source;
  out.version = m.version;
  out.label = m.label;
  out.host = m.host;
  out.client = m.client;
  out.proxy = m.proxy;
  out.kernel = m.kernel;
  out.pgbouncer = m.pgbouncer;
  out.postgres = m.postgres;
  out.stacks.emplace(stack.name, stack);
  keep_used(out, m.host.corrections);
  if (const double k = idle_core_scale(m.host, cores); k != 1.0) {
    for (LoadDependence* l :
         {&out.client.load, &out.proxy.load, &out.kernel.load, &out.pgbouncer.load,
          &out.postgres.load, &out.stacks.begin()->second.load}) {
      l->idle_inflation = std::min(LoadDependence::kMaxIdleInflation, l->idle_inflation * k);
      l->cold_ns_per_ms *= k;
    }
  }
  const SharedScale& f = stack.shared_scale;
  if (!f.any()) return out;
  for (Distribution* d : {&out.client.send, &out.client.recv}) *d = times(*d, f.client);
  for (Distribution* d : {&out.proxy.request, &out.proxy.response}) *d = times(*d, f.proxy);
  out.kernel.per_hop = times(out.kernel.per_hop, f.kernel);
  for (Distribution* d : {&out.pgbouncer.login, &out.pgbouncer.server_login, &out.pgbouncer.query,
                          &out.pgbouncer.result, &out.pgbouncer.close})
    *d = times(*d, f.pgbouncer);
  for (Distribution* d :
       {&out.postgres.backend_start, &out.postgres.query, &out.postgres.fetch, &out.postgres.reset})
    *d = times(*d, f.postgres);
  scale_load(out.client.load, f.client);
  scale_load(out.proxy.load, f.proxy);
  scale_load(out.kernel.load, f.kernel);
  scale_load(out.pgbouncer.load, f.pgbouncer);
  scale_load(out.postgres.load, f.postgres);
  return out;
}

}  // namespace stacksim
