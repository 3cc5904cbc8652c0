// The database side of the recipe checks: one PostgreSQL cluster (the
// runner's cached 10,000-row one) and one pgbouncer in front of it, started
// once for the whole suite as the runner starts them (live/running_stack),
// stopped in reverse order when it goes. App servers get settings that
// reach it, each with a directory of its own for its log; the directory is
// removed at the end unless a check failed (keep_logs).
#pragma once

#include <optional>
#include <pqxx/connection>
#include <string>

#include "live/os/run_dir.hpp"
#include "live/servers/app_server.hpp"
#include "live/servers/pgbouncer.hpp"
#include "live/servers/postgres_cluster.hpp"

namespace stacksim::live::testing {

class SharedDatabase {
 public:
  static constexpr long kRows = 10000;
  static constexpr int kSessions = 20;  // pgbouncer's server sessions

  SharedDatabase();
  SharedDatabase(const SharedDatabase&) = delete;
  SharedDatabase& operator=(const SharedDatabase&) = delete;

  // An app server's settings through pgbouncer: `workers` workers, the
  // access mode (STACKSIM_DB_MODE: connect | pool), the delay; its run
  // directory is <run dir>/<name>, made now.
  AppSettings app_settings(const std::string& name, int workers, const std::string& db_mode,
                           double delay_ms) const;
  // The b of row a as PostgreSQL holds it; nullopt when there is no row a.
  std::optional<std::string> row_text(long a);
  // Keeps the run directory (every server's log) after the suite; returns its path.
  std::string keep_logs();

 private:
  UserIds user_;
  RunDir run_dir_;
  PostgresCluster cluster_;
  Pgbouncer bouncer_;
  pqxx::connection reader_;  // the app role, straight to PostgreSQL
};

}  // namespace stacksim::live::testing
