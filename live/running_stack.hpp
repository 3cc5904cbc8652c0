// The servers of one run, started in order (PostgreSQL unless an external
// one is given, pgbouncer, the app server, nginx, checked with GET /test)
// and stopped in reverse when it goes out of scope, or when a start fails.
#pragma once

#include <optional>
#include <string>

#include "live/measure/cpu_cgroups.hpp"
#include "live/os/run_dir.hpp"
#include "live/os/system_user.hpp"
#include "live/run.hpp"
#include "live/run_preflight.hpp"
#include "live/servers/app_server.hpp"
#include "live/servers/external_postgres.hpp"
#include "live/servers/nginx.hpp"
#include "live/servers/pgbouncer.hpp"
#include "live/servers/postgres_cluster.hpp"

namespace stacksim::live {

// Where a component group's processes run in this run: its accounting
// cgroup, the run's cores, and a session of their own unless the run shares
// the runner's (--shared-session).
Placement placement_of(const RunConfig& config, const CpuCgroups& cgroups,
                       const std::string& group);

class RunningStack {
 public:
  // What a start needs; the references must outlive the stack.
  struct Start {
    const RunConfig& config;
    const Preflight& pre;
    const std::optional<PostgresUrl>& external;
    const UserIds& user;
    CpuCgroups& cgroups;
    RunDir& run_dir;
    const ProgressFn& progress;
  };
  explicit RunningStack(const Start& start);

  // Fails if a server died (during the measured window, say).
  void require_running(const char* when);

  // Declared in start order: destroyed (stopped) in reverse.
  std::optional<PostgresCluster> cluster;
  std::optional<Pgbouncer> bouncer;
  AppSettings app_settings;
  std::optional<AppServer> app;
  std::optional<Nginx> nginx;

 private:
  PgbouncerSettings start_postgres(const Start& s);
  void start_app(const Start& s, const std::string& db_user);
  void start_nginx(const Start& s);
};

}  // namespace stacksim::live
