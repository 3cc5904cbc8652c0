// pgbouncer between the apps and PostgreSQL, as the article ran it: session
// pooling, pool size = sessions, max_client_conn 2000, and its admin console
// for the session monitor. It runs as the service user from a private ini
// and auth_file (users must be listed there whatever the auth type), in the
// foreground, and is stopped through its pidfile and its process group.
#pragma once

#include <string>

#include "live/os/process.hpp"

namespace stacksim::live {

struct PgbouncerSettings {
  int sessions = 100;                       // server sessions: pool size and max_db_connections
  std::string postgres_host = "127.0.0.1";  // or a unix socket directory
  int postgres_port = 0;
  std::string postgres_dbname;  // empty: the private cluster's (kDatabaseName)
  std::string db_user;          // PostgreSQL role the pool logs in as
  std::string db_password;      // empty: none (trust); clients get a generated one
  int listen_backlog = 4096;
  Placement placement;  // its cgroup, CPUs and session
};

class Pgbouncer {
 public:
  // Writes the config into <run_dir>/pgbouncer/, starts it, waits for its port.
  Pgbouncer(const PgbouncerSettings& settings, const std::string& run_dir, const UserIds& user);
  ~Pgbouncer();

  int port() const { return port_; }
  // Clients log in with the database's role and password (md5 auth).
  const std::string& client_password() const { return client_password_; }
  // libpq connection string of the admin console (database "pgbouncer").
  std::string admin_conninfo() const;
  Process& process() { return process_; }
  void stop();

 private:
  int port_ = 0;
  std::string dir_;
  std::string client_password_;
  std::string admin_user_ = "stacksim_admin";
  std::string admin_password_;
  Process process_;
};

}  // namespace stacksim::live
