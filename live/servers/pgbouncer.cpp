#include "live/servers/pgbouncer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/ports.hpp"
#include "live/os/run_dir.hpp"
#include "live/servers/postgres_cluster.hpp"

namespace stacksim::live {

inline constexpr const char* kPgbouncerBinary = "/usr/sbin/pgbouncer";  // under the install root

namespace {

// auth_file fields are double-quoted; a double quote inside is doubled.
std::string quoted_for_auth_file(const std::string& v) {
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

Pgbouncer::Pgbouncer(const PgbouncerSettings& s, const std::string& run_dir, const UserIds& user) {
  const InstallRoot root = install_root();
  const std::string binary = root.installed(kPgbouncerBinary);
  if (::access(binary.c_str(), X_OK) != 0)
    throw InputError(root.missing_program(binary, "pgbouncer"));
  dir_ = run_dir + "/pgbouncer";
  ::mkdir(dir_.c_str(), 0700);
  if (::chown(dir_.c_str(), user.uid, user.gid) != 0) throw std::runtime_error("chown " + dir_);
  port_ = pick_free_port();
  // Clients always log in with a password (md5); a server that needs none
  // (trust) ignores the one pgbouncer then sends it.
  client_password_ = s.db_password.empty() ? generate_password() : s.db_password;
  admin_password_ = generate_password();

  // md5 for clients: one connection per request must not pay SCRAM's key
  // stretching; the plain passwords in auth_file also let pgbouncer log in
  // to PostgreSQL (SCRAM there, once per server session).
  std::ostringstream users;
  users << quoted_for_auth_file(s.db_user) << ' ' << quoted_for_auth_file(client_password_) << "\n"
        << '"' << admin_user_ << "\" \"" << admin_password_ << "\"\n";
  write_private_file(dir_ + "/userlist.txt", users.str(), user);

  std::ostringstream ini;
  ini << "[databases]\n"
      << kDatabaseName << " = host=" << s.postgres_host << " port=" << s.postgres_port
      << " dbname=" << (s.postgres_dbname.empty() ? kDatabaseName : s.postgres_dbname)
      << " user=" << s.db_user << " pool_size=" << s.sessions << "\n\n"
      << "[pgbouncer]\n"
      << "listen_addr = 127.0.0.1\n"
      << "listen_port = " << port_ << "\n"
      << "unix_socket_dir =\n"
      << "listen_backlog = " << s.listen_backlog << "\n"
      << "auth_type = md5\n"
      << "auth_file = " << dir_ << "/userlist.txt\n"
      << "admin_users = " << admin_user_ << "\n"
      << "pool_mode = session\n"
      << "default_pool_size = " << s.sessions << "\n"
      << "min_pool_size = 0\n"
      << "reserve_pool_size = 0\n"
      << "max_db_connections = " << s.sessions << "\n"
      << "max_client_conn = 2000\n"
      << "server_reset_query = DISCARD ALL\n"
      << "ignore_startup_parameters = extra_float_digits,options\n"
      << "logfile = " << dir_ << "/pgbouncer.log\n"
      << "pidfile = " << dir_ << "/pgbouncer.pid\n"
      << "log_connections = 0\n"
      << "log_disconnections = 0\n"
      << "stats_period = 3600\n";
  write_private_file(dir_ + "/pgbouncer.ini", ini.str(), user);

  SpawnSpec spec;
  spec.name = "pgbouncer";
  spec.argv = {binary, dir_ + "/pgbouncer.ini"};
  spec.env = root.environment({"PATH=/usr/bin:/bin", "LANG=C"});
  spec.log_path = dir_ + "/stderr.log";
  spec.user = user;
  spec.working_dir = dir_;
  spec.placement = s.placement;
  spec.stop_signal = SIGTERM;  // immediate shutdown; SIGINT would wait for clients
  process_ = Process::spawn(spec);
  wait_for_port(port_, process_, std::chrono::seconds(20), dir_ + "/pgbouncer.log");
}

Pgbouncer::~Pgbouncer() {
  stop();
}

void Pgbouncer::stop() {
  // The pidfile names the real pgbouncer (a wrapper's PID would not); it is
  // our child here, but signal what the pidfile says too.
  std::ifstream pidfile(dir_ + "/pgbouncer.pid");
  long pid = 0;
  if (pidfile >> pid && pid > 1 && pid != process_.pid() && process_.pid() > 0) {
    if (::getpgid(static_cast<pid_t>(pid)) == process_.pid())
      ::kill(static_cast<pid_t>(pid), SIGTERM);
  }
  process_.stop(std::chrono::seconds(5));
}

std::string Pgbouncer::admin_conninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=pgbouncer user=" + admin_user_ +
         " password=" + admin_password_ + " connect_timeout=5";
}

}  // namespace stacksim::live
