// The private PostgreSQL 15 cluster of the live runs: initdb'd as the
// service user (PostgreSQL refuses root), TCP on 127.0.0.1 only (no unix
// socket), benchmark settings (fsync off, enough max_connections). The
// loaded cluster is cached under /var/tmp/stacksim/cluster-<rows> with its
// generated credentials, and reused by later runs, so the load is paid once
// per machine; a lock file keeps two runs from starting it at once.
#pragma once

#include <chrono>
#include <string>

#include "live/os/process.hpp"

namespace stacksim::live {

inline constexpr const char* kPostgresBinDir =
    "/usr/lib/postgresql/15/bin";  // under the install root
inline constexpr const char* kClusterCacheDir = "/var/tmp/stacksim";
inline constexpr const char* kDatabaseName = "stacksim";
inline constexpr const char* kAppUser = "stacksim_app";

struct PostgresSettings {
  long rows = 1000000;
  int max_connections = 120;
  Placement placement;   // the "postgres" accounting group, CPUs, session
  std::string log_path;  // server log, inside the run directory
  std::string run_dir;   // scratch (initdb's password file)
};

struct DbCredentials {
  std::string superuser = "stacksim";
  std::string superuser_password;
  std::string app_user = kAppUser;
  std::string app_password;
};

class PostgresCluster {
 public:
  // Takes the cluster lock, creates the cluster if needed, starts it on a
  // free port and waits until it accepts queries; loads the table when the
  // cluster is new.
  PostgresCluster(const PostgresSettings& settings, const UserIds& service_user);
  ~PostgresCluster();

  int port() const { return port_; }
  const DbCredentials& credentials() const { return credentials_; }
  // libpq connection string for the app user (or the superuser).
  std::string conninfo(bool superuser = false) const;
  Process& process() { return server_; }
  const std::string& data_dir() const { return data_dir_; }
  bool loaded_now() const { return loaded_now_; }
  double load_seconds() const { return load_seconds_; }
  void stop();

 private:
  void initialise(const PostgresSettings& settings);
  void remove_stale_lock_file();
  void wait_until_ready(std::chrono::milliseconds timeout);
  void create_database_and_table(long rows);

  UserIds user_;
  int lock_fd_ = -1;
  std::string data_dir_;
  std::string credentials_path_;
  std::string log_path_;
  DbCredentials credentials_;
  int port_ = 0;
  Process server_;
  bool loaded_now_ = false;
  double load_seconds_ = 0;
};

}  // namespace stacksim::live
