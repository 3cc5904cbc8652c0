// An existing PostgreSQL server given by URL instead of the private cluster.
// The URL comes from a file (--postgres-url-file, not readable by every
// user) or from STACKSIM_POSTGRES_URL, never from a command line, and may
// name only this machine (127.0.0.1, localhost or a unix socket directory):
// the load stays on 127.0.0.1. The runner neither starts nor stops the
// server; it checks (or loads, when absent) the table and points pgbouncer
// at it. The server's processes are not in the run's cgroups, so its CPU
// is estimated from /proc (the postmaster's tree) instead.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace stacksim::live {

inline constexpr const char* kPostgresUrlEnv = "STACKSIM_POSTGRES_URL";

struct PostgresUrl {
  std::string source;  // "--postgres-url-file F" or "STACKSIM_POSTGRES_URL", for messages
  std::string host;    // "127.0.0.1", or a unix socket directory (starts with '/')
  int port = 5432;
  std::string dbname;
  std::string user;
  std::string password;  // may be empty (trust or peer on a unix socket)
  bool unix_socket() const { return !host.empty() && host.front() == '/'; }
  // "127.0.0.1:5432" or "/var/run/postgresql:5432": for records and messages.
  std::string address() const;
  // libpq keyword=value string, values quoted.
  std::string conninfo() const;
};

// Parses a postgresql:// URL (libpq's parser); InputError naming `source`
// for anything else, a host other than this machine, or an unsupported
// parameter. The URL itself never appears in a message.
PostgresUrl parse_postgres_url(const std::string& url, const std::string& source);

// The URL from `file` (when not empty) or else from STACKSIM_POSTGRES_URL,
// which is read once and removed from the environment so that no child
// inherits it; nullopt when neither is given. InputError for a missing
// file, one readable by every user, or a bad URL.
std::optional<PostgresUrl> postgres_url_from(const std::string& file);

struct ExternalServer {
  std::string server_version;  // e.g. "15.5 (Debian 15.5-0+deb12u1)"
  bool loaded_now = false;     // the table was absent and was loaded
  double load_s = 0;
};

// Connects, makes sure test(a int primary key, b text) holds exactly rows
// 1..rows of the fixed-seed data (spot-checked), loading it when the table
// is absent. A `test` of another shape, size or content is refused
// (InputError) and left untouched.
ExternalServer prepare_external_server(const PostgresUrl& url, long rows);

// The postmaster listening on the URL's address (TCP on 127.0.0.1/any, or
// the unix socket file); 0 when not found (another namespace, no access).
pid_t find_postmaster(const PostgresUrl& url);

// CPU seconds of a postmaster's tree: it and its live children, plus the
// children it has reaped (cutime + cstime), so backends that exit inside a
// window still count. Tick resolution; -1 when the postmaster is gone.
double postmaster_tree_cpu_s(pid_t postmaster);

}  // namespace stacksim::live
