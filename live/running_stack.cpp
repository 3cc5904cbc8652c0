#include "live/running_stack.hpp"

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "live/os/ports.hpp"

namespace stacksim::live {

Placement placement_of(const RunConfig& config, const CpuCgroups& cgroups,
                       const std::string& group) {
  Placement p;
  p.cgroup_procs_path = cgroups.procs_path(group);
  p.cpus = config.cores;
  p.own_session = !config.shared_session;
  return p;
}

namespace {
void say(const ProgressFn& progress, const std::string& what) {
  if (progress) progress(what);
}
}  // namespace

// Where pgbouncer finds PostgreSQL: the external server, or a private
// cluster started now (pinned and in its cgroup like every server).
PgbouncerSettings RunningStack::start_postgres(const Start& s) {
  PgbouncerSettings pb;
  if (s.external) {
    pb.postgres_host = s.external->host;
    pb.postgres_port = s.external->port;
    pb.postgres_dbname = s.external->dbname;
    pb.db_user = s.external->user;
    pb.db_password = s.external->password;
    return pb;
  }
  say(s.progress, "starting PostgreSQL (" + std::to_string(s.config.rows) + " rows)");
  PostgresSettings pg;
  pg.rows = s.config.rows;
  pg.max_connections = s.config.sessions + 20;
  pg.placement = placement_of(s.config, s.cgroups, "postgres");
  pg.log_path = s.run_dir.file("postgres.log");
  pg.run_dir = s.run_dir.path();
  cluster.emplace(pg, s.user);
  if (cluster->loaded_now())
    say(s.progress, "loaded the table in " + std::to_string(cluster->load_seconds()) + " s");
  pb.postgres_port = cluster->port();
  pb.db_user = cluster->credentials().app_user;
  pb.db_password = cluster->credentials().app_password;
  return pb;
}

void RunningStack::start_app(const Start& s, const std::string& db_user) {
  say(s.progress,
      "starting " + s.config.stack + " with " + std::to_string(s.config.workers) + " workers");
  app_settings.workers = s.config.workers;
  app_settings.backlog = s.config.backlog;
  app_settings.apps_dir = s.config.apps_dir;
  app_settings.run_dir = s.run_dir.path();
  app_settings.db_port = bouncer->port();
  app_settings.db_name = kDatabaseName;
  app_settings.db_user = db_user;
  app_settings.db_password = bouncer->client_password();
  app_settings.delay_ms = s.config.delay_ms;
  app_settings.rows = s.config.rows;
  app_settings.db_mode = s.config.db_mode;
  app_settings.pool_size = s.config.pool_size;
  app_settings.placement = placement_of(s.config, s.cgroups, "app");
  app_settings.served_dir = s.run_dir.subdir("served");
  app.emplace(s.pre.recipe, app_settings);
}

void RunningStack::start_nginx(const Start& s) {
  say(s.progress, "starting nginx");
  NginxSettings ns;
  ns.port = s.config.port;
  ns.app_port = app->port();
  ns.worker_processes = s.pre.cores;
  ns.listen_backlog = s.config.backlog;
  ns.placement = placement_of(s.config, s.cgroups, "nginx");
  nginx.emplace(ns, s.run_dir.path(), s.user);
  if (http_get_status(nginx->port(), "/test", std::chrono::seconds(10)) != 200) {
    throw std::runtime_error("GET /test through nginx did not answer 200; see " + s.run_dir.path() +
                             "/nginx/error.log");
  }
}

RunningStack::RunningStack(const Start& s) {
  PgbouncerSettings pb = start_postgres(s);
  say(s.progress, "starting pgbouncer");
  pb.sessions = s.config.sessions;
  pb.listen_backlog = s.config.backlog;
  pb.placement = placement_of(s.config, s.cgroups, "pgbouncer");
  bouncer.emplace(pb, s.run_dir.path(), s.user);
  start_app(s, pb.db_user);
  start_nginx(s);
}

void RunningStack::require_running(const char* when) {
  std::vector<Process*> ours = {&bouncer->process(), &app->process(), &nginx->process()};
  if (cluster) ours.push_back(&cluster->process());
  for (Process* p : ours) {
    if (!p->running()) throw std::runtime_error(p->name() + " died " + when);
  }
}
}  // namespace stacksim::live
