#include "sim/analysis/closed_network.hpp"

#include <cmath>
#include <fstream>
#include <set>

#include "common/input_error.hpp"
#include "common/name_table.hpp"

namespace stacksim::analysis {

namespace {

constexpr std::string_view kSchema = "stacksim-network";
constexpr int kVersion = 1;
constexpr double kMaxServiceMs = 1e6;
constexpr double kMaxVisits = 1e6;
constexpr double kMaxCv = 10.0;

[[noreturn]] void fail(const std::string& source, const std::string& field,
                       const std::string& what) {
  throw InputError(source + ": " + field + ": " + what);
}

void reject_unknown(const nlohmann::json& obj, const std::set<std::string>& known,
                    const std::string& source, const std::string& prefix) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (!known.count(it.key())) fail(source, prefix + it.key(), "unknown field");
  }
}

double number_field(const nlohmann::json& obj, const char* key, const std::string& source,
                    const std::string& field) {
  const auto& v = obj.at(key);
  if (!v.is_number()) fail(source, field, "must be a number");
  const double x = v.get<double>();
  if (!std::isfinite(x)) fail(source, field, "must be finite");
  return x;
}

int int_field(const nlohmann::json& obj, const char* key, const std::string& source,
              const std::string& field) {
  const auto& v = obj.at(key);
  if (!v.is_number_integer()) fail(source, field, "must be an integer");
  const auto x = v.get<std::int64_t>();
  if (x < 1 || x > 1'000'000) fail(source, field, "must be between 1 and 1000000");
  return static_cast<int>(x);
}

std::string string_field(const nlohmann::json& obj, const char* key, const std::string& source,
                         const std::string& field) {
  const auto& v = obj.at(key);
  if (!v.is_string()) fail(source, field, "must be a string");
  return v.get<std::string>();
}

void require(const nlohmann::json& obj, const char* key, const std::string& source,
             const std::string& field) {
  if (!obj.contains(key)) fail(source, field, "is required");
}

}  // namespace

namespace {
constexpr NameTable<StationKind, 3> kStationKinds{
    {{StationKind::kDelay, "delay"}, {StationKind::kPs, "ps"}, {StationKind::kFcfs, "fcfs"}}};
}  // namespace

std::string_view to_string(StationKind k) {
  return name_of(kStationKinds, k);
}

std::string_view to_string(Routing r) {
  return r == Routing::kCyclic ? "cyclic" : "random";
}

double ClosedNetwork::think_ms() const {
  double z = 0.0;
  for (const Station& s : stations) {
    if (s.kind == StationKind::kDelay) z += s.demand_ms();
  }
  return z;
}

void validate(const ClosedNetwork& net) {
  const std::string& src = net.source.empty() ? std::string("network") : net.source;
  if (net.customers < 1) fail(src, "customers", "must be >= 1");
  if (net.stations.empty()) fail(src, "stations", "must list at least one station");
  std::set<std::string> names;
  for (std::size_t i = 0; i < net.stations.size(); ++i) {
    const Station& s = net.stations[i];
    const std::string at = "stations[" + std::to_string(i) + "].";
    if (s.name.empty()) fail(src, at + "name", "must not be empty");
    if (!names.insert(s.name).second) fail(src, at + "name", "duplicate name '" + s.name + "'");
    // Upper limits keep every sample and the simulated horizon inside the
    // engine's 64-bit nanosecond clock.
    if (!(s.service_ms > 0.0) || !(s.service_ms <= kMaxServiceMs))
      fail(src, at + "service_ms", "must be > 0 and <= 1e6 (ms)");
    if (!(s.visits > 0.0) || !(s.visits <= kMaxVisits))
      fail(src, at + "visits", "must be > 0 and <= 1e6");
    if (s.servers < 1) fail(src, at + "servers", "must be >= 1");
    if (s.kind == StationKind::kPs && s.servers != 1)
      fail(src, at + "servers", "a ps station has exactly one server");
    if (s.kind == StationKind::kFcfs && s.shape != Shape::kExponential)
      fail(src, at + "shape", "an fcfs station must be exponential for MVA to be exact");
    if (s.shape == Shape::kExponential && s.cv != 1.0)
      fail(src, at + "cv", "must be 1 for an exponential shape");
    if ((s.shape == Shape::kGamma || s.shape == Shape::kLognormal) &&
        (!(s.cv > 0.0) || !(s.cv <= kMaxCv)))
      fail(src, at + "cv", "must be > 0 and <= 10");
    if (net.routing == Routing::kCyclic && s.visits != 1.0)
      fail(src, at + "visits", "cyclic routing needs every visit ratio to be 1 (use \"random\")");
  }
}

ClosedNetwork network_from_json(const nlohmann::json& j, const std::string& source) {
  if (!j.is_object()) fail(source, "(top level)", "must be a JSON object");
  reject_unknown(j,
                 {"schema", "version", "name", "description", "customers", "routing", "stations"},
                 source, "");
  require(j, "schema", source, "schema");
  if (string_field(j, "schema", source, "schema") != kSchema)
    fail(source, "schema", "must be \"" + std::string(kSchema) + "\"");
  require(j, "version", source, "version");
  if (int_field(j, "version", source, "version") != kVersion)
    fail(source, "version", "must be " + std::to_string(kVersion));

  ClosedNetwork net;
  net.source = source;
  if (j.contains("name")) net.name = string_field(j, "name", source, "name");
  if (j.contains("description")) string_field(j, "description", source, "description");
  require(j, "customers", source, "customers");
  net.customers = int_field(j, "customers", source, "customers");

  require(j, "stations", source, "stations");
  const auto& st = j.at("stations");
  if (!st.is_array()) fail(source, "stations", "must be an array");
  bool all_unit_visits = true;
  for (std::size_t i = 0; i < st.size(); ++i) {
    const auto& o = st[i];
    const std::string at = "stations[" + std::to_string(i) + "]";
    if (!o.is_object()) fail(source, at, "must be an object");
    reject_unknown(o, {"name", "kind", "servers", "service_ms", "visits", "shape", "cv"}, source,
                   at + ".");
    Station s;
    require(o, "name", source, at + ".name");
    s.name = string_field(o, "name", source, at + ".name");
    require(o, "kind", source, at + ".kind");
    const std::string kind = string_field(o, "kind", source, at + ".kind");
    if (kind == "delay") {
      s.kind = StationKind::kDelay;
    } else if (kind == "ps") {
      s.kind = StationKind::kPs;
    } else if (kind == "fcfs") {
      s.kind = StationKind::kFcfs;
    } else {
      fail(source, at + ".kind", "unknown kind '" + kind + "' (delay, ps or fcfs)");
    }
    if (o.contains("servers")) {
      if (s.kind != StationKind::kFcfs)
        fail(source, at + ".servers", "only an fcfs station has a server count");
      s.servers = int_field(o, "servers", source, at + ".servers");
    }
    require(o, "service_ms", source, at + ".service_ms");
    s.service_ms = number_field(o, "service_ms", source, at + ".service_ms");
    if (o.contains("visits")) s.visits = number_field(o, "visits", source, at + ".visits");
    if (s.visits != 1.0) all_unit_visits = false;
    if (o.contains("shape")) {
      const std::string shape = string_field(o, "shape", source, at + ".shape");
      if (!parse_shape(shape, s.shape))
        fail(source, at + ".shape",
             "unknown shape '" + shape + "' (deterministic, exponential, gamma, lognormal)");
      s.cv = s.shape == Shape::kDeterministic ? 0.0 : 1.0;
    }
    if (o.contains("cv")) s.cv = number_field(o, "cv", source, at + ".cv");
    if (s.shape == Shape::kDeterministic) s.cv = 0.0;
    net.stations.push_back(std::move(s));
  }
  if (j.contains("routing")) {
    const std::string r = string_field(j, "routing", source, "routing");
    if (r == "cyclic") {
      net.routing = Routing::kCyclic;
    } else if (r == "random") {
      net.routing = Routing::kRandom;
    } else {
      fail(source, "routing", "unknown routing '" + r + "' (cyclic or random)");
    }
  } else {
    net.routing = all_unit_visits ? Routing::kCyclic : Routing::kRandom;
  }
  validate(net);
  return net;
}

ClosedNetwork load_network(const std::filesystem::path& path) {
  const std::string source = path.string();
  std::ifstream in(path);
  if (!in) throw InputError(source + ": cannot open the file");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw InputError(source + ": malformed JSON: " + e.what());
  }
  return network_from_json(j, source);
}

nlohmann::json to_json(const ClosedNetwork& net) {
  nlohmann::json j;
  j["schema"] = kSchema;
  j["version"] = kVersion;
  if (!net.name.empty()) j["name"] = net.name;
  j["customers"] = net.customers;
  j["routing"] = to_string(net.routing);
  j["stations"] = nlohmann::json::array();
  for (const Station& s : net.stations) {
    nlohmann::json o;
    o["name"] = s.name;
    o["kind"] = to_string(s.kind);
    if (s.kind == StationKind::kFcfs) o["servers"] = s.servers;
    o["service_ms"] = s.service_ms;
    o["visits"] = s.visits;
    o["shape"] = to_string(s.shape);
    if (s.shape == Shape::kGamma || s.shape == Shape::kLognormal) o["cv"] = s.cv;
    j["stations"].push_back(std::move(o));
  }
  return j;
}

}  // namespace stacksim::analysis
