#include "sim/scenario/model_io.hpp"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "common/input_error.hpp"
#include "sim/scenario/config_names.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim {
namespace {

using json_fields::ObjectReader;
using json_fields::Where;
using nlohmann::json;

// Bounds that keep every demand finite in nanoseconds and every sampler well
// defined: no burst is near 1000 s of CPU, and a cv outside [0.001, 100] is a
// typo, not a measurement (near-constant demands are "deterministic").
constexpr double kMaxMeanUs = 1e9;
constexpr double kMinCv = 0.001;
constexpr double kMaxCv = 100.0;
constexpr double kMaxMb = 1e7;  // a stack's memory figures, MB
constexpr std::int64_t kMaxCores = 1024;
constexpr std::int64_t kMaxConcurrency = 1'000'000;
// Bounds that catch typos: a stretch of 100x or a group using more than
// 1024 cores in the background is not a host.
constexpr double kMaxPerBackendUs = 1e6;

// The optional "load" object of a group; all zero when absent (models
// written before load dependence, or estimates).
LoadDependence read_load(ObjectReader& group) {
  LoadDependence l;
  const json* j = group.optional("load");
  if (j == nullptr) return l;
  ObjectReader r(*j, group.where("load"));
  if (const json* v = r.optional("idle_inflation"))
    l.idle_inflation = json_fields::read_number(*v, r.where("idle_inflation"), 0.0,
                                                LoadDependence::kMaxIdleInflation);
  if (const json* v = r.optional("per_backend_us"))
    l.per_backend_ns = 1e3 * json_fields::read_number(*v, r.where("per_backend_us"),
                                                      -kMaxPerBackendUs, kMaxPerBackendUs);
  if (const json* v = r.optional("cold_us_per_ms"))
    l.cold_ns_per_ms = 1e3 * json_fields::read_number(*v, r.where("cold_us_per_ms"), 0.0, 1e6);
  if (const json* v = r.optional("background_cores"))
    l.background_cores = json_fields::read_number(*v, r.where("background_cores"), 0.0,
                                                  static_cast<double>(kMaxCores));
  r.done();
  return l;
}

json load_to_json(const LoadDependence& l) {
  return {{"idle_inflation", l.idle_inflation},
          {"per_backend_us", l.per_backend_ns * 1e-3},
          {"cold_us_per_ms", l.cold_ns_per_ms * 1e-3},
          {"background_cores", l.background_cores}};
}

Distribution read_demand(const json& j, const Where& where) {
  ObjectReader r(j, where);
  const double mean_us =
      json_fields::read_number(r.required("mean_us"), r.where("mean_us"), 0.0, kMaxMeanUs);
  const json& shape_j = r.required("shape");
  const Where shape_where = r.where("shape");
  Shape shape{};
  if (!shape_j.is_string() || !parse_shape(shape_j.get_ref<const std::string&>(), shape)) {
    shape_where.fail("must be one of " + shape_names() + ", got " + json_fields::describe(shape_j));
  }
  const json* cv_j = r.optional("cv");
  const Where cv_where = r.where("cv");
  double cv = 0.0;
  switch (shape) {
    case Shape::kDeterministic:
      if (cv_j != nullptr) json_fields::read_number(*cv_j, cv_where, 0.0, 0.0);
      break;
    case Shape::kExponential:
      cv = 1.0;
      if (cv_j != nullptr) json_fields::read_number(*cv_j, cv_where, 1.0, 1.0);
      break;
    case Shape::kGamma:
    case Shape::kLognormal:
      if (cv_j == nullptr) cv_where.fail("required field is missing (gamma and lognormal need it)");
      cv = json_fields::read_number(*cv_j, cv_where, kMinCv, kMaxCv);
      break;
  }
  r.done();
  // The bounds above are inside what Distribution accepts, so this cannot throw.
  return Distribution(shape, mean_us * static_cast<double>(kNsPerUs), cv);
}

std::string read_schema(ObjectReader& r, const char* expected) {
  const std::string schema = json_fields::read_string(r.required("schema"), r.where("schema"));
  if (schema != expected) {
    r.where("schema").fail(std::string("must be \"") + expected + "\", got " +
                           json_fields::describe(json(schema)));
  }
  return schema;
}

SharedScale read_shared_scale(const json& j, const Where& where) {
  ObjectReader f(j, where);
  SharedScale to;
  for (const auto& [key, field] : {std::pair<const char*, double*>{"client", &to.client},
                                   {"proxy", &to.proxy},
                                   {"kernel", &to.kernel},
                                   {"pgbouncer", &to.pgbouncer},
                                   {"postgres", &to.postgres}}) {
    if (const json* v = f.optional(key))
      *field = json_fields::read_number(*v, f.where(key), SharedScale::kMin, SharedScale::kMax);
  }
  f.done();
  return to;
}

// stacks.<name>.memory: MB of PSS; worker_mb and master_mb required,
// connection_mb optional (0).
StackMemory read_memory(const json& j, const Where& where) {
  ObjectReader f(j, where);
  StackMemory m;
  m.worker_mb =
      json_fields::read_number(f.required("worker_mb"), f.where("worker_mb"), 0.0, kMaxMb);
  m.master_mb =
      json_fields::read_number(f.required("master_mb"), f.where("master_mb"), 0.0, kMaxMb);
  if (const json* v = f.optional("connection_mb"))
    m.connection_mb = json_fields::read_number(*v, f.where("connection_mb"), 0.0, kMaxMb);
  f.done();
  return m;
}

StackModel read_stack(const std::string& name, const json& j, const Where& where) {
  ObjectReader r(j, where);
  StackModel s;
  s.name = name;
  const json& type_j = r.required("type");
  if (!type_j.is_string() || !parse_worker_type(type_j.get_ref<const std::string&>(), s.type)) {
    r.where("type").fail("must be one of " + worker_type_names() + ", got " +
                         json_fields::describe(type_j));
  }
  s.server = json_fields::read_string(r.required("server"), r.where("server"));
  s.framework = json_fields::read_string(r.required("framework"), r.where("framework"));
  s.installable = json_fields::read_bool(r.required("installable"), r.where("installable"));
  s.note = json_fields::read_string(r.required("note"), r.where("note"));
  const json& policy_j = r.required("accept_policy");
  if (!policy_j.is_string() ||
      !parse_accept_policy(policy_j.get_ref<const std::string&>(), s.accept_policy)) {
    r.where("accept_policy")
        .fail("must be one of " + accept_policy_names() + ", got " +
              json_fields::describe(policy_j));
  }
  if (const json* order_j = r.optional("worker_order")) {
    if (!order_j->is_string() ||
        !parse_worker_order(order_j->get_ref<const std::string&>(), s.worker_order)) {
      r.where("worker_order")
          .fail("must be one of " + worker_order_names() + ", got " +
                json_fields::describe(*order_j));
    }
  }
  s.max_concurrency = static_cast<int>(json_fields::read_int(
      r.required("max_concurrency"), r.where("max_concurrency"), 1, kMaxConcurrency));
  if (s.type == WorkerType::kSync && s.max_concurrency != 1) {
    r.where("max_concurrency")
        .fail("must be 1 for a sync stack (one request per worker at a time), got " +
              std::to_string(s.max_concurrency));
  }
  ObjectReader b(r.required("bursts"), r.where("bursts"));
  s.pre = read_demand(b.required("pre"), b.where("pre"));
  s.connect = read_demand(b.required("connect"), b.where("connect"));
  s.query = read_demand(b.required("query"), b.where("query"));
  s.fetch = read_demand(b.required("fetch"), b.where("fetch"));
  s.close = read_demand(b.required("close"), b.where("close"));
  s.respond = read_demand(b.required("respond"), b.where("respond"));
  b.done();
  s.load = read_load(r);
  if (const json* scale = r.optional("shared_scale"))
    s.shared_scale = read_shared_scale(*scale, r.where("shared_scale"));
  if (const json* memory = r.optional("memory")) s.memory = read_memory(*memory, r.where("memory"));
  r.done();
  return s;
}

// host.corrections: the names of the corrections the model uses, each once.
CpuCorrections corrections_from_json(const json& j, const Where& where) {
  if (!j.is_array())
    where.fail("must be a list of " + cpu_correction_names() + ", got " + json_fields::describe(j));
  CpuCorrections used = CpuCorrections::none();
  for (std::size_t i = 0; i < j.size(); ++i) {
    const Where at = where.at(i);
    CpuCorrection c;
    if (!j[i].is_string() || !parse_cpu_correction(j[i].get_ref<const std::string&>(), c))
      at.fail("must be one of " + cpu_correction_names() + ", got " + json_fields::describe(j[i]));
    if (used.uses(c)) at.fail("names " + std::string(to_string(c)) + " twice");
    used.add(c);
  }
  return used;
}

json corrections_to_json(CpuCorrections used) {
  json names = json::array();
  for (int i = 0; i < kCpuCorrectionCount; ++i) {
    const auto c = static_cast<CpuCorrection>(i);
    if (used.uses(c)) names.push_back(std::string(to_string(c)));
  }
  return names;
}

// The host section: cores, the CPU model's terms, the corrections it
// uses, and the profile it was fitted on.
HostModel read_host(const json& j, const Where& where, const std::string& source) {
  ObjectReader r(j, where);
  HostModel h;
  h.cores =
      static_cast<int>(json_fields::read_int(r.required("cores"), r.where("cores"), 1, kMaxCores));
  h.cpu_model = json_fields::read_string(r.required("cpu_model"), r.where("cpu_model"));
  h.context_switch_ns = ns_from_us(json_fields::read_number(
      r.required("context_switch_us"), r.where("context_switch_us"), 0.0, 1e6));
  if (const json* w = r.optional("idle_window_us")) {
    h.idle_window_ns =
        ns_from_us(json_fields::read_number(*w, r.where("idle_window_us"), 1.0, 1e9));
  }
  if (const json* b = r.optional("imbalance")) {
    h.imbalance = json_fields::read_number(*b, r.where("imbalance"), 0.0, 1.0);
  }
  if (const json* w = r.optional("wakeup_latency_us")) {
    h.wakeup_latency_ns =
        ns_from_us(json_fields::read_number(*w, r.where("wakeup_latency_us"), 0.0, 1e6));
  }
  if (const json* s = r.optional("speed")) {
    h.speed = json_fields::read_number(*s, r.where("speed"), 0.01, 100.0);
  }
  if (const json* c = r.optional("corrections")) {
    h.corrections = corrections_from_json(*c, r.where("corrections"));
  }
  if (const json* p = r.optional("profile")) {
    h.profile = host_profile_from_json(*p, source, "host.profile");
  }
  r.done();
  return h;
}

// A shared component's object: exactly its named demands and its load model.
LoadDependence read_component(
    ObjectReader& top, const char* key,
    std::initializer_list<std::pair<const char*, Distribution*>> demands) {
  ObjectReader r(top.required(key), top.where(key));
  for (const auto& [name, demand] : demands) *demand = read_demand(r.required(name), r.where(name));
  LoadDependence load = read_load(r);
  r.done();
  return load;
}

}  // namespace

json demand_to_json(const Distribution& d) {
  json j = {{"mean_us", d.mean() / static_cast<double>(kNsPerUs)},
            {"shape", std::string(to_string(d.shape()))}};
  if (d.shape() == Shape::kGamma || d.shape() == Shape::kLognormal) j["cv"] = d.cv();
  return j;
}

Model parse_model(const json& j, const std::string& source) {
  ObjectReader top(j, Where{source, ""});
  Model m;
  m.source = source;
  read_schema(top, kModelSchema);
  m.version = static_cast<int>(json_fields::read_int(top.required("version"), top.where("version"),
                                                     kModelVersion, kModelVersion));
  m.label = json_fields::read_string(top.required("label"), top.where("label"));

  {
    const json& p = top.required("provenance");
    ObjectReader r(p, top.where("provenance"));
    const std::string kind = json_fields::read_string(r.required("kind"), r.where("kind"));
    if (kind != "estimate" && kind != "calibrated") {
      r.where("kind").fail("must be one of estimate|calibrated, got " +
                           json_fields::describe(json(kind)));
    }
    // The rest of the provenance is free-form: who, when, how, tool versions.
    m.provenance = p;
  }
  m.host = read_host(top.required("host"), top.where("host"), source);
  m.client.load =
      read_component(top, "client", {{"send", &m.client.send}, {"recv", &m.client.recv}});
  m.proxy.load = read_component(top, "proxy",
                                {{"request", &m.proxy.request}, {"response", &m.proxy.response}});
  m.kernel.load = read_component(top, "kernel", {{"per_hop", &m.kernel.per_hop}});
  m.pgbouncer.load = read_component(top, "pgbouncer",
                                    {{"login", &m.pgbouncer.login},
                                     {"server_login", &m.pgbouncer.server_login},
                                     {"query", &m.pgbouncer.query},
                                     {"result", &m.pgbouncer.result},
                                     {"close", &m.pgbouncer.close}});
  m.postgres.load = read_component(top, "postgres",
                                   {{"backend_start", &m.postgres.backend_start},
                                    {"query", &m.postgres.query},
                                    {"fetch", &m.postgres.fetch},
                                    {"reset", &m.postgres.reset}});
  {
    const json& stacks = top.required("stacks");
    const Where where = top.where("stacks");
    if (!stacks.is_object()) where.fail("must be an object, got " + json_fields::describe(stacks));
    if (stacks.empty()) where.fail("must name at least one stack");
    for (const auto& item : stacks.items()) {
      // A bad key is reported at "stacks", with the key as the value got.
      const std::string name = json_fields::read_name(json(item.key()), where);
      m.stacks.emplace(name, read_stack(name, item.value(), where / name));
    }
  }
  top.done();
  return m;
}

CpuCorrections parse_corrections(const std::string& list, const std::string& where) {
  if (list == "all") return CpuCorrections::all();
  CpuCorrections used = CpuCorrections::none();
  if (list == "none") return used;
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = list.substr(start, comma - start);
    CpuCorrection c;
    if (!parse_cpu_correction(name, c))
      throw InputError(where + ": \"" + name +
                       "\" is not a correction; use none, all or names from " +
                       cpu_correction_names() + " separated by commas");
    used.add(c);
    start = comma + 1;
  }
  return used;
}

Model load_model(const std::string& path) {
  return parse_model(json_fields::read_json_file(path), path);
}

json to_json(const Model& m) {
  json stacks = json::object();
  for (const auto& [name, s] : m.stacks) {
    stacks[name] = {
        {"type", std::string(to_string(s.type))},
        {"server", s.server},
        {"framework", s.framework},
        {"installable", s.installable},
        {"note", s.note},
        {"accept_policy", std::string(to_string(s.accept_policy))},
        {"max_concurrency", s.max_concurrency},
        {"bursts",
         {{"pre", demand_to_json(s.pre)},
          {"connect", demand_to_json(s.connect)},
          {"query", demand_to_json(s.query)},
          {"fetch", demand_to_json(s.fetch)},
          {"close", demand_to_json(s.close)},
          {"respond", demand_to_json(s.respond)}}},
        {"load", load_to_json(s.load)},
    };
    if (s.worker_order != WorkerOrder::kFifo)
      stacks[name]["worker_order"] = std::string(to_string(s.worker_order));
    if (s.shared_scale.any()) {
      const SharedScale& f = s.shared_scale;
      stacks[name]["shared_scale"] = {{"client", f.client},
                                      {"proxy", f.proxy},
                                      {"kernel", f.kernel},
                                      {"pgbouncer", f.pgbouncer},
                                      {"postgres", f.postgres}};
    }
    if (s.memory) {
      stacks[name]["memory"] = {{"worker_mb", s.memory->worker_mb},
                                {"master_mb", s.memory->master_mb}};
      if (s.memory->connection_mb != 0)
        stacks[name]["memory"]["connection_mb"] = s.memory->connection_mb;
    }
  }
  json out = {
      {"schema", kModelSchema},
      {"version", m.version},
      {"label", m.label},
      {"provenance", m.provenance},
      {"host",
       {{"cores", m.host.cores},
        {"cpu_model", m.host.cpu_model},
        {"context_switch_us", us_from_ns(m.host.context_switch_ns)},
        {"idle_window_us", us_from_ns(m.host.idle_window_ns)},
        {"imbalance", m.host.imbalance},
        {"wakeup_latency_us", us_from_ns(m.host.wakeup_latency_ns)},
        {"speed", m.host.speed},
        {"corrections", corrections_to_json(m.host.corrections)}}},
      {"client",
       {{"send", demand_to_json(m.client.send)},
        {"recv", demand_to_json(m.client.recv)},
        {"load", load_to_json(m.client.load)}}},
      {"proxy",
       {{"request", demand_to_json(m.proxy.request)},
        {"response", demand_to_json(m.proxy.response)},
        {"load", load_to_json(m.proxy.load)}}},
      {"kernel",
       {{"per_hop", demand_to_json(m.kernel.per_hop)}, {"load", load_to_json(m.kernel.load)}}},
      {"pgbouncer",
       {{"login", demand_to_json(m.pgbouncer.login)},
        {"server_login", demand_to_json(m.pgbouncer.server_login)},
        {"query", demand_to_json(m.pgbouncer.query)},
        {"result", demand_to_json(m.pgbouncer.result)},
        {"close", demand_to_json(m.pgbouncer.close)},
        {"load", load_to_json(m.pgbouncer.load)}}},
      {"postgres",
       {{"backend_start", demand_to_json(m.postgres.backend_start)},
        {"query", demand_to_json(m.postgres.query)},
        {"fetch", demand_to_json(m.postgres.fetch)},
        {"reset", demand_to_json(m.postgres.reset)},
        {"load", load_to_json(m.postgres.load)}}},
      {"stacks", stacks},
  };
  if (m.host.profile) out["host"]["profile"] = to_json(*m.host.profile);
  return out;
}

}  // namespace stacksim
