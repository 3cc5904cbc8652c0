#include "shared_database.hpp"

#include <pqxx/pqxx>

#include "live/os/system_user.hpp"
#include "live/servers/stack_recipes.hpp"

namespace stacksim::live::testing {
namespace {

PostgresSettings postgres_settings(const RunDir& run_dir) {
  PostgresSettings pg;
  pg.rows = SharedDatabase::kRows;
  pg.max_connections = SharedDatabase::kSessions + 20;
  pg.log_path = run_dir.file("postgres.log");
  pg.run_dir = run_dir.path();
  return pg;
}

PgbouncerSettings pgbouncer_settings(const PostgresCluster& cluster) {
  PgbouncerSettings pb;
  pb.sessions = SharedDatabase::kSessions;
  pb.postgres_port = cluster.port();
  pb.db_user = cluster.credentials().app_user;
  pb.db_password = cluster.credentials().app_password;
  return pb;
}

}  // namespace

SharedDatabase::SharedDatabase()
    : user_(ensure_service_user()),
      run_dir_(user_, /*keep=*/false),
      cluster_(postgres_settings(run_dir_), user_),
      bouncer_(pgbouncer_settings(cluster_), run_dir_.path(), user_),
      reader_(cluster_.conninfo()) {}

AppSettings SharedDatabase::app_settings(const std::string& name, int workers,
                                         const std::string& db_mode, double delay_ms) const {
  AppSettings s;
  s.workers = workers;
  s.apps_dir = default_apps_dir();
  s.run_dir = run_dir_.subdir(name);
  s.db_port = bouncer_.port();
  s.db_name = kDatabaseName;
  s.db_user = cluster_.credentials().app_user;
  s.db_password = bouncer_.client_password();
  s.delay_ms = delay_ms;
  s.rows = kRows;
  s.db_mode = db_mode;
  return s;
}

std::optional<std::string> SharedDatabase::row_text(long a) {
  pqxx::nontransaction t(reader_);
  const pqxx::result r = t.exec_params("select b from test where a = $1", a);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

std::string SharedDatabase::keep_logs() {
  run_dir_.keep();
  return run_dir_.path();
}

}  // namespace stacksim::live::testing
