#include "sim/scenario/scenario_io.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <set>

#include "common/input_error.hpp"
#include "sim/scenario/config_names.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim {
namespace {

using json_fields::ObjectReader;
using json_fields::Where;
using nlohmann::json;

// A knob's value once read, from JSON or from text; `kind` says which member.
struct KnobValue {
  std::int64_t i = 0;
  std::uint64_t u = 0;
  double x = 0.0;
  bool b = false;
  std::string text;
};

enum class KnobKind { kInt, kUint64, kNumber, kBool, kName };

// Upper bounds keep every run finite in time and memory; none is near a
// configuration anyone would ask for.
struct Knob {
  std::string_view name;
  KnobKind kind;
  double min = 0;  // kInt, kNumber: inclusive range
  double max = 0;
  std::string (*names)() = nullptr;  // kName: the accepted names; nullptr: any stack name
  // Stores the value; false when a kName value is not one of names().
  bool (*set)(Scenario&, const KnobValue&) = nullptr;
};

constexpr double kMaxWorkers = 10'000;
constexpr double kMaxRequests = 1e10;

const std::array<Knob, 22> kKnobs{{
    {"cores", KnobKind::kInt, 1, 1024, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.cores = static_cast<int>(v.i), true; }},
    {"workers", KnobKind::kInt, 1, kMaxWorkers, nullptr,
     [](Scenario& s, const KnobValue& v) {
       const int w = static_cast<int>(v.i);
       s.workers = {w, w, w};
       return true;
     }},
    {"workers.sync", KnobKind::kInt, 1, kMaxWorkers, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.workers.sync = static_cast<int>(v.i), true; }},
    {"workers.greenlet", KnobKind::kInt, 1, kMaxWorkers, nullptr,
     [](Scenario& s, const KnobValue& v) {
       return s.workers.greenlet = static_cast<int>(v.i), true;
     }},
    {"workers.coroutine", KnobKind::kInt, 1, kMaxWorkers, nullptr,
     [](Scenario& s, const KnobValue& v) {
       return s.workers.coroutine = static_cast<int>(v.i), true;
     }},
    {"clients", KnobKind::kInt, 1, 1'000'000, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.clients = static_cast<int>(v.i), true; }},
    {"sessions", KnobKind::kInt, 1, 100'000, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.sessions = static_cast<int>(v.i), true; }},
    {"delay_ms", KnobKind::kNumber, 0, 1e6, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.delay_ms = v.x, true; }},
    {"db_access", KnobKind::kName, 0, 0, db_access_names,
     [](Scenario& s, const KnobValue& v) { return parse_db_access(v.text, s.db_access); }},
    {"app_pool_size", KnobKind::kInt, 1, 10'000, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.app_pool_size = static_cast<int>(v.i), true; }},
    {"load", KnobKind::kName, 0, 0, load_type_names,
     [](Scenario& s, const KnobValue& v) { return parse_load_type(v.text, s.load); }},
    {"rate_rps", KnobKind::kNumber, 0, 1e9, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.rate_rps = v.x, true; }},
    {"requests", KnobKind::kInt, 1, kMaxRequests, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.requests = v.i, true; }},
    {"warmup_requests", KnobKind::kInt, 0, kMaxRequests, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.warmup_requests = v.i, true; }},
    {"replications", KnobKind::kInt, 1, 1000, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.replications = static_cast<int>(v.i), true; }},
    {"seed", KnobKind::kUint64, 0, 0, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.seed = v.u, true; }},
    {"nginx", KnobKind::kBool, 0, 0, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.nginx = v.b, true; }},
    {"pgbouncer", KnobKind::kBool, 0, 0, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.pgbouncer = v.b, true; }},
    {"nginx_workers", KnobKind::kInt, 0, 1024, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.nginx_workers = static_cast<int>(v.i), true; }},
    {"backlog", KnobKind::kInt, 1, 1'000'000, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.backlog = static_cast<int>(v.i), true; }},
    {"syn_retry_ms", KnobKind::kNumber, 1, 1e6, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.syn_retry_ms = v.x, true; }},
    {"baseline", KnobKind::kName, 0, 0, nullptr,
     [](Scenario& s, const KnobValue& v) { return s.baseline = v.text, true; }},
}};

const Knob* find_knob(std::string_view name) {
  for (const auto& k : kKnobs) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string known_knobs() {
  std::string s;
  for (const auto& k : kKnobs) s += (s.empty() ? "" : ", ") + std::string(k.name);
  return s;
}

void store(Scenario& s, const Knob& knob, const KnobValue& v, const Where& w,
           const std::string& got) {
  if (!knob.set(s, v)) w.fail("must be one of " + knob.names() + ", got " + got);
}

void set_from_json(Scenario& s, const Knob& knob, const json& j, const Where& w) {
  KnobValue v;
  const auto imin = static_cast<std::int64_t>(knob.min);
  const auto imax = static_cast<std::int64_t>(knob.max);
  switch (knob.kind) {
    case KnobKind::kInt:
      v.i = json_fields::read_int(j, w, imin, imax);
      break;
    case KnobKind::kUint64:
      v.u = json_fields::read_uint64(j, w);
      break;
    case KnobKind::kNumber:
      v.x = json_fields::read_number(j, w, knob.min, knob.max);
      break;
    case KnobKind::kBool:
      v.b = json_fields::read_bool(j, w);
      break;
    case KnobKind::kName:
      if (knob.names == nullptr) {
        v.text = json_fields::read_name(j, w);
      } else {
        if (!j.is_string())
          w.fail("must be one of " + knob.names() + ", got " + json_fields::describe(j));
        v.text = j.get<std::string>();
      }
      break;
  }
  store(s, knob, v, w, json_fields::describe(j));
}

void set_from_text(Scenario& s, const Knob& knob, std::string_view text, const Where& w) {
  KnobValue v;
  const auto imin = static_cast<std::int64_t>(knob.min);
  const auto imax = static_cast<std::int64_t>(knob.max);
  switch (knob.kind) {
    case KnobKind::kInt:
      v.i = json_fields::parse_int_text(text, w, imin, imax);
      break;
    case KnobKind::kUint64:
      v.u = json_fields::parse_uint64_text(text, w);
      break;
    case KnobKind::kNumber:
      v.x = json_fields::parse_number_text(text, w, knob.min, knob.max);
      break;
    case KnobKind::kBool:
      v.b = json_fields::parse_bool_text(text, w);
      break;
    case KnobKind::kName:
      v.text = std::string(text);
      // A stack name from the command line obeys the same rule as in a file.
      if (knob.names == nullptr) json_fields::read_name(json(v.text), w);
      break;
  }
  store(s, knob, v, w, json_fields::describe(json(std::string(text))));
}

// A sweep value as text, the form --set takes.
std::string sweep_text(const json& j, const Where& w) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_number()) return j.dump();
  w.fail("must be a number, a string or true/false, got " + json_fields::describe(j));
}

// Sweep text back to JSON: a number or boolean when it reads back identically.
json sweep_value_json(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if ((j.is_number() || j.is_boolean()) && j.dump() == text) return j;
  return text;
}

constexpr std::size_t kMaxSweepValues = 1000;
constexpr double kMaxSweepPoints = 100'000;  // product of the list lengths
constexpr std::size_t kMaxStacks = 1000;

}  // namespace

std::vector<std::string> knob_names() {
  std::vector<std::string> names;
  for (const auto& k : kKnobs) names.emplace_back(k.name);
  return names;
}

std::optional<NumericKnob> numeric_knob(std::string_view name) {
  const Knob* knob = find_knob(name);
  if (knob == nullptr || (knob->kind != KnobKind::kInt && knob->kind != KnobKind::kNumber))
    return std::nullopt;
  return NumericKnob{knob->kind == KnobKind::kInt, knob->min, knob->max};
}

void apply_setting(Scenario& scenario, std::string_view key, std::string_view value) {
  const Where w{"", "--set " + std::string(key.substr(0, 100))};
  const Knob* knob = find_knob(key);
  if (knob == nullptr) w.fail("unknown knob (known: " + known_knobs() + ")");
  set_from_text(scenario, *knob, value, w);
}

void apply_setting(Scenario& scenario, std::string_view key_equals_value) {
  const auto eq = key_equals_value.find('=');
  if (eq == std::string_view::npos) {
    Where{"", "--set " + std::string(key_equals_value.substr(0, 100))}.fail("expected KEY=VALUE");
  }
  apply_setting(scenario, key_equals_value.substr(0, eq), key_equals_value.substr(eq + 1));
}

void check_scenario(const Scenario& s) {
  if (s.load == LoadType::kOpen && !(s.rate_rps > 0.0)) {
    Where{s.source, "rate_rps"}.fail("must be > 0 when load is \"open\", got " +
                                     json_fields::describe(json(s.rate_rps)));
  }
  if (!s.pgbouncer && s.db_access != DbAccess::kAppPool) {
    Where{s.source, "pgbouncer"}.fail(
        "false needs db_access \"app_pool\" (a connection per request straight to PostgreSQL, a "
        "backend forked per request, is not modelled)");
  }
  // Pooled connections keep their server session for good: with fewer
  // sessions than connections, the ones left over would wait forever.
  if (s.db_access == DbAccess::kAppPool) {
    const int most_workers = std::max({s.workers.sync, s.workers.greenlet, s.workers.coroutine});
    const long long needed = static_cast<long long>(most_workers) * s.app_pool_size;
    if (s.sessions < needed) {
      Where{s.source, "sessions"}.fail(
          "must be at least workers x app_pool_size = " + std::to_string(needed) +
          " with db_access \"app_pool\" (each pooled connection keeps its server session), got " +
          std::to_string(s.sessions));
    }
  }
}

namespace {

// "schema", "version", "name" and "description".
void read_header(ObjectReader& top, Scenario& s) {
  const std::string schema = json_fields::read_string(top.required("schema"), top.where("schema"));
  if (schema != kScenarioSchema) {
    top.where("schema").fail(std::string("must be \"") + kScenarioSchema + "\", got " +
                             json_fields::describe(json(schema)));
  }
  s.version = static_cast<int>(json_fields::read_int(top.required("version"), top.where("version"),
                                                     kScenarioVersion, kScenarioVersion));
  s.name = json_fields::read_name(top.required("name"), top.where("name"));
  if (const json* d = top.optional("description")) {
    s.description = json_fields::read_string(*d, top.where("description"));
  }
}

// "stacks": "all" (the model's every stack) or a list of names, each once.
void read_stacks(ObjectReader& top, Scenario& s) {
  const json* stacks = top.optional("stacks");
  if (stacks == nullptr) return;
  const Where w = top.where("stacks");
  if (stacks->is_string() && stacks->get_ref<const std::string&>() == "all") {
    s.stacks.clear();
  } else if (stacks->is_array()) {
    if (stacks->empty()) w.fail("must name at least one stack, or be \"all\"");
    if (stacks->size() > kMaxStacks) w.fail("names more than 1000 stacks");
    for (std::size_t i = 0; i < stacks->size(); ++i) {
      std::string name = json_fields::read_name((*stacks)[i], w.at(i));
      if (std::find(s.stacks.begin(), s.stacks.end(), name) != s.stacks.end()) {
        w.at(i).fail("names stack \"" + name + "\" twice");
      }
      s.stacks.push_back(std::move(name));
    }
  } else {
    w.fail("must be \"all\" or an array of stack names, got " + json_fields::describe(*stacks));
  }
}

// Every top-level knob given; "workers" is one number or one per worker type.
void read_knobs(ObjectReader& top, Scenario& s) {
  for (const auto& knob : kKnobs) {
    if (knob.name.find('.') != std::string_view::npos) continue;  // inside "workers"
    const json* v = top.optional(knob.name);
    if (v == nullptr) continue;
    const Where w = top.where(knob.name);
    if (knob.name == "workers" && v->is_object()) {
      ObjectReader r(*v, w);
      for (const char* type : {"sync", "greenlet", "coroutine"}) {
        if (const json* n = r.optional(type)) {
          set_from_json(s, *find_knob(std::string("workers.") + type), *n, r.where(type));
        }
      }
      r.done();
    } else {
      set_from_json(s, knob, *v, w);
    }
  }
}

// "sweep": knob to its list of values, each value checked on a copy of the
// scenario; the points (the product of the lists' lengths) are bounded.
void read_sweep(ObjectReader& top, Scenario& s) {
  const json* sweep = top.optional("sweep");
  if (sweep == nullptr) return;
  ObjectReader r(*sweep, top.where("sweep"));
  double points = 1;
  for (const auto& item : sweep->items()) {
    const Where w = r.where(item.key());
    const Knob* knob = find_knob(item.key());
    if (knob == nullptr) w.fail("unknown knob (known: " + known_knobs() + ")");
    r.optional(item.key());  // taken: the key is a known knob
    const json& list = item.value();
    if (!list.is_array() || list.empty()) {
      w.fail("must be a non-empty array of values, got " + json_fields::describe(list));
    }
    if (list.size() > kMaxSweepValues) w.fail("has more than 1000 values");
    points *= static_cast<double>(list.size());
    if (points > kMaxSweepPoints) w.fail("the sweep has more than 100000 points");
    std::vector<std::string> values;
    for (std::size_t i = 0; i < list.size(); ++i) {
      std::string text = sweep_text(list[i], w.at(i));
      Scenario copy = s;
      set_from_text(copy, *knob, text, w.at(i));
      values.push_back(std::move(text));
    }
    s.sweep.emplace_back(item.key(), std::move(values));
  }
  r.done();
}

}  // namespace

Scenario parse_scenario(const json& j, const std::string& source) {
  ObjectReader top(j, Where{source, ""});
  Scenario s;
  s.source = source;
  read_header(top, s);
  read_stacks(top, s);
  read_knobs(top, s);
  read_sweep(top, s);
  top.done();
  check_scenario(s);
  return s;
}

Scenario load_scenario(const std::string& path) {
  return parse_scenario(json_fields::read_json_file(path), path);
}

json to_json(const Scenario& s) {
  json stacks = s.stacks.empty() ? json("all") : json(s.stacks);
  json sweep = json::object();
  for (const auto& [key, values] : s.sweep) {
    json list = json::array();
    for (const auto& v : values) list.push_back(sweep_value_json(v));
    sweep[key] = list;
  }
  json j = {
      {"schema", kScenarioSchema},
      {"version", s.version},
      {"name", s.name},
      {"description", s.description},
      {"stacks", stacks},
      {"baseline", s.baseline},
      {"cores", s.cores},
      {"workers",
       {{"sync", s.workers.sync},
        {"greenlet", s.workers.greenlet},
        {"coroutine", s.workers.coroutine}}},
      {"clients", s.clients},
      {"sessions", s.sessions},
      {"delay_ms", s.delay_ms},
      {"db_access", std::string(to_string(s.db_access))},
      {"app_pool_size", s.app_pool_size},
      {"load", std::string(to_string(s.load))},
      {"rate_rps", s.rate_rps},
      {"requests", s.requests},
      {"warmup_requests", s.warmup_requests},
      {"replications", s.replications},
      {"seed", s.seed},
      {"nginx", s.nginx},
      {"pgbouncer", s.pgbouncer},
      {"nginx_workers", s.nginx_workers},
      {"backlog", s.backlog},
      {"syn_retry_ms", s.syn_retry_ms},
  };
  if (!s.sweep.empty()) j["sweep"] = sweep;
  return j;
}

void check_against_model(const Scenario& scenario, const Model& model) {
  std::string known;
  for (const auto& entry : model.stacks) known += (known.empty() ? "" : ", ") + entry.first;
  const auto check = [&](const std::string& name, const std::string& field) {
    if (model.stacks.count(name) == 0) {
      Where{scenario.source, field}.fail("stack \"" + name + "\" is not in the model " +
                                         model.source + " (its stacks: " + known + ")");
    }
  };
  for (std::size_t i = 0; i < scenario.stacks.size(); ++i) {
    check(scenario.stacks[i], "stacks[" + std::to_string(i) + "]");
  }
  check(scenario.baseline, "baseline");
}

}  // namespace stacksim
