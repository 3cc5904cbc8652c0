#include "calibrate/record.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "live/run.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::calibrate {

namespace jf = json_fields;

namespace {
// The simulator's role of each group (indexed by Group): a group goes by its
// role's name, and a simulated run's CPU of a group is its role's.
constexpr std::array<Role, kGroupCount> kRoleOfGroup = {
    Role::kClient, Role::kProxy, Role::kApp, Role::kPgbouncer, Role::kPostgres, Role::kKernel};

Role role_of(Group g) {
  return kRoleOfGroup[static_cast<std::size_t>(g)];
}
}  // namespace

const char* to_string(Group g) {
  return to_string(role_of(g));
}

namespace {

// A field that must be present; the record's other fields are not checked
// (the live record carries much more than calibration needs).
const nlohmann::json& field(const nlohmann::json& obj, const jf::Where& w, const char* key) {
  if (!obj.is_object()) w.fail("must be an object, got " + jf::describe(obj));
  const auto it = obj.find(key);
  if (it == obj.end()) (w / key).fail("missing (calibration needs it)");
  return *it;
}

double per_request_us(const nlohmann::json& groups, const jf::Where& w, const char* group) {
  const jf::Where gw = w / group;
  return jf::read_number(field(field(groups, w, group), gw, "per_request_us"),
                         gw / "per_request_us", 0.0, 1e9);
}

}  // namespace

DbAccess CalibrationRecord::db_access() const {
  return live::db_access_of(db_mode);
}

CalibrationRecord record_from_live_json(const nlohmann::json& j, const std::string& where) {
  const jf::Where root{where, ""};
  CalibrationRecord r;
  r.source = where;
  r.id = jf::read_string(field(j, root, "run_id"), root / "run_id");

  const jf::Where cw = root / "config";
  const nlohmann::json& c = field(j, root, "config");
  r.stack = jf::read_name(field(c, cw, "stack"), cw / "stack");
  r.db_mode = jf::read_string(field(c, cw, "db_mode"), cw / "db_mode");
  DbAccess access;
  if (!live::parse_db_mode(r.db_mode, access))
    (cw / "db_mode").fail("must be connect or pool, not " + r.db_mode);
  r.workers = static_cast<int>(jf::read_int(field(c, cw, "workers"), cw / "workers", 1, 100000));
  r.clients = static_cast<int>(jf::read_int(field(c, cw, "clients"), cw / "clients", 1, 1000000));
  r.sessions = static_cast<int>(jf::read_int(field(c, cw, "sessions"), cw / "sessions", 1, 100000));
  r.cores = static_cast<int>(jf::read_int(field(c, cw, "cores"), cw / "cores", 0, 1024));
  r.delay_ms = jf::read_number(field(c, cw, "delay_ms"), cw / "delay_ms", 0.0, 1e6);

  const jf::Where rw = root / "result";
  const nlohmann::json& res = field(j, root, "result");
  r.completed = jf::read_int(field(res, rw, "completed"), rw / "completed", 0, INT64_MAX);
  r.throughput_rps = jf::read_number(field(res, rw, "throughput_rps"), rw / "throughput_rps", 0.0);
  r.sessions_peak = static_cast<double>(jf::read_int(field(res, rw, "peak_server_sessions"),
                                                     rw / "peak_server_sessions", 0, 1000000));

  const jf::Where pw = root / "cpu";
  const nlohmann::json& cpu_j = field(j, root, "cpu");
  const double busy_s =
      jf::read_number(field(cpu_j, pw, "machine_busy_s"), pw / "machine_busy_s", 0.0);
  const double total_s =
      jf::read_number(field(cpu_j, pw, "machine_total_s"), pw / "machine_total_s", 0.0);
  const double machine_busy_share = total_s > 0 ? busy_s / total_s : 0.0;
  const jf::Where gw = pw / "groups";
  const nlohmann::json& groups = field(cpu_j, pw, "groups");
  auto& cpu = r.cpu_us_per_request;
  cpu[static_cast<int>(Group::kClient)] = per_request_us(groups, gw, "client");
  cpu[static_cast<int>(Group::kNginx)] = per_request_us(groups, gw, "nginx");
  cpu[static_cast<int>(Group::kApp)] = per_request_us(groups, gw, "app");
  cpu[static_cast<int>(Group::kPgbouncer)] = per_request_us(groups, gw, "pgbouncer");
  // An existing server's CPU is outside our cgroups: the runner says so
  // (postgres.measured = false) and the record cannot be fitted.
  const nlohmann::json& pg = field(groups, gw, "postgres");
  r.postgres_measured = !(pg.is_object() && pg.value("measured", true) == false);
  cpu[static_cast<int>(Group::kPostgres)] =
      r.postgres_measured ? per_request_us(groups, gw, "postgres") : std::nan("");
  // Softirq work runs in the context of the process that sent the packet
  // and cgroup cpuacct counts it there: the process groups hold it already
  // (they add up to the machine's busy time without it). What the kernel
  // does outside them is kernel_system: interrupts, ksoftirqd, kworkers.
  cpu[static_cast<int>(Group::kKernel)] = per_request_us(groups, gw, "kernel_system");

  const jf::Where hw = root / "host";
  const nlohmann::json& host = field(j, root, "host");
  r.cpu_model = jf::read_string(field(host, hw, "cpu_model"), hw / "cpu_model");
  r.cpus_online =
      static_cast<int>(jf::read_int(field(host, hw, "cpus_online"), hw / "cpus_online", 1, 1024));
  // Busy share of the cores the run used: a pinned run leaves the rest idle.
  const double used_share =
      r.cores > 0 && r.cores < r.cpus_online ? static_cast<double>(r.cpus_online) / r.cores : 1.0;
  r.host_busy = std::clamp(machine_busy_share * used_share, 0.0, 1.0);
  if (const auto it = host.find("packages"); it != host.end() && it->is_object()) r.packages = *it;

  if (const auto it = j.find("flags"); it != j.end() && it->is_object()) {
    for (const char* flag : {"failed_requests", "foreign_cpu_high", "speed_moved"}) {
      const auto f = it->find(flag);
      if (f != it->end() && f->is_boolean() && f->get<bool>()) {
        r.flagged = true;
        r.flag_reason += r.flag_reason.empty() ? flag : std::string(", ") + flag;
      }
    }
  }
  return r;
}

std::vector<CalibrationRecord> read_record_file(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw InputError(path + ": no such records file (--records wants a live-results JSONL store)");
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot be read");
  std::vector<CalibrationRecord> out;
  std::string line;
  long number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(number);
    out.push_back(record_from_live_json(jf::parse_json_text(line, where), where));
  }
  if (out.empty()) throw InputError(path + ": holds no records");
  return out;
}

std::array<double, kGroupCount> cpu_by_group(const RunResult& res) {
  std::array<double, kGroupCount> cpu{};
  for (Group g : kGroups)
    cpu[static_cast<std::size_t>(g)] = res.cpu_us_per_request[static_cast<int>(role_of(g))];
  return cpu;
}

CalibrationRecord record_from_run(const RunResult& res, const Model& model, const StackModel& stack,
                                  const Scenario& sc, std::string id) {
  CalibrationRecord r;
  r.source = "simulated " + id;
  r.id = std::move(id);
  r.stack = stack.name;
  r.db_mode = live::db_mode_name(sc.db_access);
  r.workers = sc.workers.for_type(stack.type);
  r.clients = sc.clients;
  r.sessions = sc.sessions;
  r.cores = sc.cores;
  r.delay_ms = sc.delay_ms;
  r.completed = static_cast<std::int64_t>(res.completed);
  r.throughput_rps = res.throughput_rps;
  r.sessions_peak = res.db_sessions_peak;
  r.host_busy = res.cpu_utilisation;
  r.cpu_us_per_request = cpu_by_group(res);
  r.cpu_model = model.host.cpu_model;
  r.cpus_online = sc.cores;
  return r;
}

std::string configuration_key(const CalibrationRecord& r) {
  std::ostringstream k;
  k << "stack=" << r.stack << " db_mode=" << r.db_mode << " workers=" << r.workers
    << " clients=" << r.clients << " sessions=" << r.sessions << " delay_ms=" << r.delay_ms
    << " cores=" << r.cores;
  return k.str();
}

}  // namespace stacksim::calibrate
