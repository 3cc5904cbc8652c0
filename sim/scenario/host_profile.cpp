#include "sim/scenario/host_profile.hpp"

#include <algorithm>
#include <cmath>
#include <initializer_list>

#include "common/input_error.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim {

using json_fields::ObjectReader;
using json_fields::Where;
using nlohmann::json;

HostProfile host_profile_from_json(const json& j, const std::string& source,
                                   const std::string& path_prefix) {
  ObjectReader top(j, Where{source, path_prefix});
  const std::string schema = json_fields::read_string(top.required("schema"), top.where("schema"));
  if (schema != kHostProfileSchema)
    top.where("schema").fail(std::string("must be \"") + kHostProfileSchema + "\", got \"" +
                             schema +
                             "\" (is this a host profile written by stacksim host probe?)");
  const auto version =
      json_fields::read_int(top.required("version"), top.where("version"), 0, 1000);
  if (version != kHostProfileVersion)
    top.where("version").fail("this stacksim reads host profiles of version " +
                              std::to_string(kHostProfileVersion) + ", got " +
                              std::to_string(version) +
                              ": probe the host again with this stacksim (stacksim host probe)");
  HostProfile p;
  p.source = source;
  {
    ObjectReader h(top.required("host"), top.where("host"));
    p.cpu_model = json_fields::read_string(h.required("cpu_model"), h.where("cpu_model"));
    p.cpus = static_cast<int>(json_fields::read_int(h.required("cpus"), h.where("cpus"), 1, 4096));
    p.kernel = json_fields::read_string(h.required("kernel"), h.where("kernel"));
    p.date = json_fields::read_string(h.required("date"), h.where("date"));
    h.done();
  }
  {
    const Where w = top.where("terms");
    if (!top.optional("terms"))
      w.fail("missing: the profile has no terms (re-run stacksim host probe)");
    ObjectReader t(*top.optional("terms"), w);
    auto term = [&t](const char* name, double min, double max) {
      const json* v = t.optional(name);
      if (!v)
        t.where(name).fail(
            "missing: the model needs this host term; re-run stacksim host probe on that host");
      return json_fields::read_number(*v, t.where(name), min, max);
    };
    p.terms.native_rate = term("native_rate", 1e-6, 1e9);
    p.terms.python_rate = term("python_rate", 1e-6, 1e9);
    p.terms.wakeup_latency_us = term("wakeup_latency_us", 0.0, 1e6);
    p.terms.idle_penalty = term("idle_penalty", -0.5, 100.0);
    // Optional: profiles probed before it, or with one CPU, carry none.
    if (const json* v = t.optional("cross_core_idle"))
      p.terms.cross_core_idle =
          json_fields::read_number(*v, t.where("cross_core_idle"), 0.0, 100.0);
    t.done();
  }
  if (const json* m = top.optional("measurements")) {
    if (!m->is_object()) top.where("measurements").fail("must be an object");
    p.measurements = *m;
  }
  top.done();
  return p;
}

HostProfile load_host_profile(const std::string& path) {
  return host_profile_from_json(json_fields::read_json_file(path), path);
}

json to_json(const HostProfile& p) {
  json out = {
      {"schema", kHostProfileSchema},
      {"version", kHostProfileVersion},
      {"host",
       {{"cpu_model", p.cpu_model}, {"cpus", p.cpus}, {"kernel", p.kernel}, {"date", p.date}}},
      {"terms",
       {{"native_rate", p.terms.native_rate},
        {"python_rate", p.terms.python_rate},
        {"wakeup_latency_us", p.terms.wakeup_latency_us},
        {"idle_penalty", p.terms.idle_penalty}}}};
  if (p.terms.cross_core_idle > 0) out["terms"]["cross_core_idle"] = p.terms.cross_core_idle;
  if (!p.measurements.is_null()) out["measurements"] = p.measurements;
  return out;
}

namespace {

// A CPU demand at `speed` times the rate it was measured at.
Distribution faster(const Distribution& d, double speed) {
  if (d.shape() == Shape::kDeterministic) return Distribution::deterministic(d.mean() / speed);
  return {d.shape(), d.mean() / speed, d.cv()};
}

void scale_cpu(LoadDependence& load, double speed) {
  load.per_backend_ns /= speed;
  load.cold_ns_per_ms /= speed;
}

// The idle terms scale with the probed penalty. A penalty the probe could
// not tell from zero carries no ratio: the factor is then 1 when both are
// near zero, and the target's over a floor otherwise.
double idle_factor(double fitted, double target) {
  constexpr double kFloor = 0.02;  // below 2% the probe's spread swamps it
  if (std::abs(fitted) < kFloor && std::abs(target) < kFloor) return 1.0;
  return std::max(0.0, target) / std::max(kFloor, fitted);
}

void scale_idle(LoadDependence& load, double factor) {
  load.idle_inflation *= factor;
  load.cold_ns_per_ms *= factor;
}

}  // namespace

Model retarget(const Model& model, const HostProfile& target) {
  if (!model.host.profile)
    throw InputError(model.source +
                     ": host.profile: the model names no host profile it was fitted on, so "
                     "--host has nothing to carry it from; calibrate it with stacksim calibrate "
                     "quick, or probe its machine (stacksim host probe) and add the profile as "
                     "host.profile");
  const HostTerms& from = model.host.profile->terms;
  const HostTerms& to = target.terms;
  const double python = to.python_rate / from.python_rate;
  const double native = to.native_rate / from.native_rate;
  // The idle terms are the model's at its core count: by the ratio of the
  // probed same-core penalties, and, where both hosts probed it, by what
  // the wake-ups that cross cores at that count cost on each.
  const int c = model.host.cores;
  const double cross = from.cross_core_idle > 0 && to.cross_core_idle > 0
                           ? cross_core_idle_factor(to.cross_core_idle, c) /
                                 cross_core_idle_factor(from.cross_core_idle, c)
                           : 1.0;
  const double idle = idle_factor(from.idle_penalty, to.idle_penalty) * cross;
  Model m = model;
  for (Distribution* d :
       {&m.client.send, &m.client.recv, &m.proxy.request, &m.proxy.response, &m.kernel.per_hop,
        &m.pgbouncer.login, &m.pgbouncer.server_login, &m.pgbouncer.query, &m.pgbouncer.result,
        &m.pgbouncer.close, &m.postgres.backend_start, &m.postgres.query, &m.postgres.fetch,
        &m.postgres.reset})
    *d = faster(*d, native);
  for (LoadDependence* l :
       {&m.client.load, &m.proxy.load, &m.kernel.load, &m.pgbouncer.load, &m.postgres.load}) {
    scale_cpu(*l, native);
    scale_idle(*l, idle);
  }
  for (auto& [name, s] : m.stacks) {
    for (Distribution* d : {&s.pre, &s.connect, &s.query, &s.fetch, &s.close, &s.respond})
      *d = faster(*d, python);
    scale_cpu(s.load, python);
    scale_idle(s.load, idle);
  }
  // A probed latency of 0 carries no ratio: the target's is taken as it is.
  const double model_wake_us = static_cast<double>(model.host.wakeup_latency_ns) / 1e3;
  const double wake_us = from.wakeup_latency_us > 0
                             ? model_wake_us * to.wakeup_latency_us / from.wakeup_latency_us
                             : to.wakeup_latency_us;
  m.host.wakeup_latency_ns = static_cast<SimTime>(std::llround(wake_us * 1e3));
  m.host.cpu_model = target.cpu_model;
  m.host.profile = target;
  m.label = model.label + ", carried to " + target.cpu_model + " (" + target.source + ")";
  m.provenance["retarget"] = {
      {"from_profile", to_json(*model.host.profile)},
      {"to_profile", target.source},
      {"python_speed", python},
      {"native_speed", native},
      {"idle_factor", idle},
      {"cross_core_factor", cross},
      {"wakeup_latency_us", {{"model", model_wake_us}, {"carried", wake_us}}},
      {"kept",
       "host.imbalance (no probe isolates it: it is how the scheduler places this "
       "stack's threads; calibrate quick fits it on its short plan)"}};
  return m;
}

Model load_model_for(const std::string& model_path, const std::string& host_path,
                     const std::string& corrections) {
  Model m = load_model(model_path);
  if (!host_path.empty()) m = retarget(m, load_host_profile(host_path));
  if (!corrections.empty()) {
    m.host.corrections = parse_corrections(corrections, "--corrections");
    m.label += " [corrections: " + corrections + "]";
  }
  return m;
}

}  // namespace stacksim
