#include "live/run.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <variant>

#include "common/input_error.hpp"
#include "live/measure/host_info.hpp"
#include "live/os/process_registry.hpp"
#include "live/run_attempt.hpp"
#include "live/servers/external_postgres.hpp"

namespace stacksim::live {
namespace {

using nlohmann::json;

void say(const ProgressFn& progress, const std::string& what) {
  if (progress) progress(what);
}

void require(bool ok, const std::string& message) {
  if (!ok) throw InputError(message);
}

}  // namespace

bool parse_db_mode(std::string_view name, DbAccess& out) {
  if (name == "connect") {
    out = DbAccess::kConnectPerRequest;
  } else if (name == "pool") {
    out = DbAccess::kAppPool;
  } else {
    return false;
  }
  return true;
}

std::string db_mode_name(DbAccess access) {
  return access == DbAccess::kAppPool ? "pool" : "connect";
}

DbAccess db_access_of(std::string_view db_mode) {
  DbAccess access = DbAccess::kConnectPerRequest;
  parse_db_mode(db_mode, access);
  return access;
}

DbAccess RunConfig::db_access() const {
  return db_access_of(db_mode);
}

void validate(const RunConfig& c) {
  require(c.workers >= 0, "--workers must be at least 1");
  require(c.clients >= 1, "--clients must be at least 1");
  require(c.sessions >= 1, "--sessions must be at least 1");
  require(c.sessions <= 1000, "--sessions must be at most 1000");
  require(c.delay_ms >= 0 && std::isfinite(c.delay_ms), "--delay-ms must be 0 or more");
  require(c.duration_s > 0 || c.requests > 0, "give a window: --duration-s > 0 or --requests > 0");
  require(c.requests >= 0, "--requests must be 0 or more");
  require(c.warmup_s >= 0, "--warmup-s must be 0 or more");
  require(c.rows >= 1, "--rows must be at least 1");
  require(c.load_generator == "ab" || c.load_generator == "wrk",
          "--load-generator must be ab or wrk");
  require(c.cores >= 0 && c.cores <= online_cpus(),
          "--cores must be between 1 and the " + std::to_string(online_cpus()) + " online CPUs");
  DbAccess access;
  require(parse_db_mode(c.db_mode, access), "--db-mode must be connect or pool");
  require(c.pool_size >= 1, "--pool-size must be at least 1");
  require(c.port >= 0 && c.port <= 65535, "--port must be between 1 and 65535");
  require(c.backlog >= 1, "--backlog must be at least 1");
  require(c.wait_quiet_s >= 0, "--wait-quiet-s must be 0 or more");
  require(c.max_foreign_cores >= 0, "--max-foreign-cores must be 0 or more");
  require(c.foreign_retries >= 0 && c.foreign_retries <= 10,
          "--foreign-retries must be between 0 and 10");
  require(c.speed_retries >= 0 && c.speed_retries <= 10,
          "--speed-retries must be between 0 and 10");
  require(c.max_speed_moved >= 0, "--max-speed-moved must be 0 or more");
  require(c.load_generator != "wrk" || c.requests == 0,
          "--requests: wrk runs are timed; use --duration-s");
}

namespace {

// A knob of a run as sweep files and records spell it, and its field.
// Configuration knobs make a record's "config" (and a sweep point's key);
// the others are measurement policy.
struct RunKnob {
  const char* name;
  std::variant<int RunConfig::*, long RunConfig::*, double RunConfig::*, std::string RunConfig::*>
      field;
  bool configuration = true;
};

const RunKnob kRunKnobs[] = {
    {"stack", &RunConfig::stack},
    {"workers", &RunConfig::workers},
    {"clients", &RunConfig::clients},
    {"sessions", &RunConfig::sessions},
    {"delay_ms", &RunConfig::delay_ms},
    {"duration_s", &RunConfig::duration_s},
    {"requests", &RunConfig::requests},
    {"warmup_s", &RunConfig::warmup_s},
    {"rows", &RunConfig::rows},
    {"load_generator", &RunConfig::load_generator},
    {"cores", &RunConfig::cores},
    {"db_mode", &RunConfig::db_mode},
    {"pool_size", &RunConfig::pool_size},
    {"backlog", &RunConfig::backlog},
    {"max_foreign_cores", &RunConfig::max_foreign_cores, false},
    {"wait_quiet_s", &RunConfig::wait_quiet_s, false},
    {"foreign_retries", &RunConfig::foreign_retries, false},
    {"speed_retries", &RunConfig::speed_retries, false},
    {"max_speed_moved", &RunConfig::max_speed_moved, false},
    {"postgres_url_file", &RunConfig::postgres_url_file, false},
};

// Sets the knob's field from a JSON value of its type; `at` names it.
struct SetFromJson {
  RunConfig& c;
  const json& v;
  const std::string& at;
  template <typename Integer>
  void integer(Integer RunConfig::*f) const {
    if (!v.is_number_integer()) throw InputError(at + ": must be an integer");
    c.*f = static_cast<Integer>(v.get<long>());
  }
  void operator()(int RunConfig::*f) const { integer(f); }
  void operator()(long RunConfig::*f) const { integer(f); }
  void operator()(double RunConfig::*f) const {
    if (!v.is_number()) throw InputError(at + ": must be a number");
    c.*f = v.get<double>();
  }
  void operator()(std::string RunConfig::*f) const {
    if (!v.is_string()) throw InputError(at + ": must be a string");
    c.*f = v.get<std::string>();
  }
};

}  // namespace

json config_json(const RunConfig& c) {
  json j = json::object();
  for (const RunKnob& k : kRunKnobs) {
    if (k.configuration) std::visit([&](auto f) { j[k.name] = c.*f; }, k.field);
  }
  return j;
}

RunConfig config_from_json(const json& j, const RunConfig& base, const std::string& where) {
  if (!j.is_object()) throw InputError(where + ": must be an object of knobs");
  RunConfig c = base;
  for (const auto& [key, v] : j.items()) {
    const std::string at = where + "." + key;
    const auto* knob = std::find_if(std::begin(kRunKnobs), std::end(kRunKnobs),
                                    [&](const RunKnob& k) { return key == k.name; });
    if (knob == std::end(kRunKnobs)) throw InputError(at + ": unknown knob");
    std::visit(SetFromJson{c, v, at}, knob->field);
  }
  return c;
}

json run_once(const RunConfig& config, const ProgressFn& progress) {
  install_interrupt_handlers();
  validate(config);
  const std::optional<PostgresUrl> external = postgres_url_from(config.postgres_url_file);
  // A run that another process disturbed measures that process too, and one
  // whose vCPU changed speed between the references before and after its
  // window measured two hosts: each is run again (up to foreign_retries and
  // speed_retries times); the last attempt is returned, still flagged if it
  // was disturbed as well. Its "cluster" is the first attempt's: whether the
  // table was there before this run, not before its last attempt.
  int foreign_left = config.foreign_retries, speed_left = config.speed_retries;
  json cluster;
  for (int attempt = 1;; ++attempt) {
    json record = run_attempt(config, external, progress);
    if (attempt == 1)
      cluster = record.at("cluster");
    else
      record["cluster"] = cluster;
    json& flags = record.at("flags");
    flags["attempts"] = attempt;
    char line[200];
    if (flags.at("foreign_cpu_high").get<bool>() && foreign_left > 0) {
      --foreign_left;
      std::snprintf(line, sizeof line,
                    "warning: foreign CPU %.2f cores before, %.2f in the window (limit %.2f): "
                    "running again (%d of %d)",
                    flags.at("foreign_cores_before").get<double>(),
                    flags.at("foreign_cores_window").get<double>(), config.max_foreign_cores,
                    config.foreign_retries - foreign_left, config.foreign_retries);
    } else if (flags.at("speed_moved").get<bool>() && speed_left > 0) {
      --speed_left;
      std::snprintf(line, sizeof line,
                    "warning: the host's speed moved %+.0f%% across the window (limit %.0f%%): "
                    "running again (%d of %d)",
                    100 * record.at("host_speed").at("moved").get<double>(),
                    100 * config.max_speed_moved, config.speed_retries - speed_left,
                    config.speed_retries);
    } else {
      return record;
    }
    check_interrupted();
    say(progress, line);
  }
}

std::string format_record(const json& r) {
  std::ostringstream o;
  const auto& c = r.at("config");
  const auto& res = r.at("result");
  const auto& lat = res.at("latency_ms");
  char line[512];
  std::snprintf(line, sizeof line,
                "%s (%s) workers=%d clients=%d sessions=%d delay=%gms db=%s repeat=%d\n",
                c.at("stack").get<std::string>().c_str(), c.at("type").get<std::string>().c_str(),
                c.at("workers").get<int>(), c.at("clients").get<int>(), c.at("sessions").get<int>(),
                c.at("delay_ms").get<double>(), c.at("db_mode").get<std::string>().c_str(),
                c.at("repeat").get<int>());
  o << line;
  if (r.value("install_root", "/") != "/" || r.value("server_sessions", "own") != "own") {
    o << "  programs from " << r.value("install_root", "/") << ", servers in "
      << (r.value("server_sessions", "own") == "own" ? "their own sessions"
                                                     : "the runner's session")
      << "\n";
  }
  std::snprintf(line, sizeof line,
                "  throughput %.1f rps  completed %ld  failed %ld  #DB %d\n"
                "  latency ms: p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f\n",
                res.at("throughput_rps").get<double>(), res.at("completed").get<long>(),
                res.at("failed").get<long>(), res.at("peak_server_sessions").get<int>(),
                lat.at("p50").get<double>(), lat.at("p90").get<double>(),
                lat.at("p99").get<double>(), lat.at("p99_9").get<double>(),
                lat.at("max").get<double>());
  o << line;
  o << "  CPU per request (us):";
  const auto& groups = r.at("cpu").at("groups");
  for (const char* g : {"client", "nginx", "app", "pgbouncer", "postgres", "kernel_softirq",
                        "kernel_system", "foreign"}) {
    if (!groups.contains(g)) continue;
    const json& us = groups.at(g).at("per_request_us");
    const json estimate = groups.at(g).value("proc_estimate", json());
    if (us.is_number()) {
      std::snprintf(line, sizeof line, " %s %.0f", g, us.get<double>());
    } else if (estimate.is_object()) {
      std::snprintf(line, sizeof line, " %s ~%.0f (/proc)", g,
                    estimate.at("per_request_us").get<double>());
    } else {
      std::snprintf(line, sizeof line, " %s n/a", g);
    }
    o << line;
  }
  std::snprintf(
      line, sizeof line, "\n  machine busy %.2f of %.2f CPU-s, foreign %.2f cores%s%s\n",
      r.at("cpu").at("machine_busy_s").get<double>(),
      r.at("cpu").at("machine_total_s").get<double>(),
      r.at("cpu").at("foreign_cores").get<double>(),
      r.at("flags").at("foreign_cpu_high").get<bool>() ? "  [FLAG: foreign CPU high]" : "",
      r.at("flags").at("failed_requests").get<bool>() ? "  [FLAG: failed requests]" : "");
  o << line;
  if (const auto it = r.find("served"); it != r.end()) {
    const json& s = *it;
    const json& imbalance = s.at("imbalance_max_over_mean");
    std::snprintf(line, sizeof line,
                  "  served per worker: %d of %ld served, min %ld median %g max %ld "
                  "(max/mean %.2f); sum %ld vs %ld answered%s\n",
                  s.at("workers_serving").get<int>(), s.at("workers").get<long>(),
                  s.at("min").get<long>(), s.at("median").get<double>(), s.at("max").get<long>(),
                  imbalance.is_number() ? imbalance.get<double>() : 0.0, s.at("sum").get<long>(),
                  s.at("expected").get<long>(),
                  s.at("adds_up").get<bool>() ? "" : "  [FLAG: does not add up]");
    o << line;
  }
  if (r.value("postgres", json::object()).value("external", false)) {
    o << "  PostgreSQL: external server at " << r.at("postgres").at("url_host").get<std::string>()
      << ":" << r.at("postgres").at("url_port").get<int>() << " (version "
      << r.at("postgres").at("server_version").get<std::string>() << ")\n";
  }
  return o.str();
}

}  // namespace stacksim::live
