#include "live/servers/postgres_cluster.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/ports.hpp"
#include "live/os/process_registry.hpp"
#include "live/os/run_dir.hpp"
#include "live/os/text_file.hpp"
#include "live/servers/table_loader.hpp"

namespace stacksim::live {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// One run at a time per cluster: a second postmaster on the same data
// directory would fail, and parallel runs would measure each other. Returns
// the descriptor that holds the flock.
int lock_cluster(const std::string& base) {
  const int fd = ::open((base + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw InputError("cannot open the lock file " + base + ".lock: run as root");
  bool said = false;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (!said) {
      std::fprintf(stderr, "stacksim: waiting for another live run to release %s\n", base.c_str());
      said = true;
    }
    interruptible_sleep_ms(200);
  }
  return fd;
}

DbCredentials read_credentials(const std::string& path) {
  const auto j = nlohmann::json::parse(read_text_file(path));
  DbCredentials c;
  c.superuser_password = j.at("superuser_password").get<std::string>();
  c.app_password = j.at("app_password").get<std::string>();
  return c;
}

// The postmaster on 127.0.0.1:port, tuned for throughput over durability
// (the table is reloaded if the cluster is ever lost).
SpawnSpec postmaster_spec(const PostgresSettings& settings, const InstallRoot& root,
                          const std::string& postgres, const std::string& data_dir, int port,
                          const UserIds& user) {
  SpawnSpec spec;
  spec.name = "postgres";
  spec.argv = {postgres,
               "-D",
               data_dir,
               "-p",
               std::to_string(port),
               "-c",
               "listen_addresses=127.0.0.1",
               "-c",
               "unix_socket_directories=",
               "-c",
               "max_connections=" + std::to_string(settings.max_connections),
               "-c",
               "fsync=off",
               "-c",
               "synchronous_commit=off",
               "-c",
               "full_page_writes=off",
               "-c",
               "shared_buffers=128MB",
               "-c",
               "logging_collector=off",
               "-c",
               "log_min_messages=warning"};
  spec.env = root.environment({"PATH=/usr/bin:/bin", "LANG=C"});
  spec.log_path = settings.log_path;
  spec.user = user;
  spec.working_dir = data_dir;
  spec.placement = settings.placement;
  // SIGINT is PostgreSQL's fast shutdown: the postmaster ends its backends
  // (which live in their own sessions) and exits.
  spec.stop_signal = SIGINT;
  spec.signal_leader_only = true;
  return spec;
}

}  // namespace

PostgresCluster::PostgresCluster(const PostgresSettings& settings, const UserIds& service_user)
    : user_(service_user), log_path_(settings.log_path) {
  // From a prefix too: initdb and postgres find their share directory
  // relative to their own path.
  const InstallRoot root = install_root();
  const std::string postgres = root.installed(kPostgresBinDir) + "/postgres";
  if (::access(postgres.c_str(), X_OK) != 0)
    throw InputError(root.missing_program(postgres, "postgresql-15"));
  ::mkdir(kClusterCacheDir, 0755);
  const std::string base =
      std::string(kClusterCacheDir) + "/cluster-" + std::to_string(settings.rows);
  data_dir_ = base;
  credentials_path_ = base + ".credentials.json";

  lock_fd_ = lock_cluster(base);

  const bool ready = exists(data_dir_ + "/PG_VERSION") && exists(data_dir_ + "/stacksim-loaded") &&
                     exists(credentials_path_);
  if (!ready) {
    std::error_code ec;
    std::filesystem::remove_all(data_dir_, ec);
    initialise(settings);
  } else {
    credentials_ = read_credentials(credentials_path_);
  }

  remove_stale_lock_file();
  port_ = pick_free_port();
  server_ = Process::spawn(postmaster_spec(settings, root, postgres, data_dir_, port_, user_));
  wait_until_ready(std::chrono::seconds(60));

  if (!ready) {
    const auto t0 = std::chrono::steady_clock::now();
    create_database_and_table(settings.rows);
    load_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    loaded_now_ = true;
    write_private_file(data_dir_ + "/stacksim-loaded", std::to_string(settings.rows) + "\n", user_);
  }
}

PostgresCluster::~PostgresCluster() {
  stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void PostgresCluster::stop() {
  server_.stop(std::chrono::seconds(15));
}

std::string PostgresCluster::conninfo(bool superuser) const {
  std::ostringstream s;
  s << "host=127.0.0.1 port=" << port_ << " dbname=" << (superuser ? "postgres" : kDatabaseName)
    << " user=" << (superuser ? credentials_.superuser : credentials_.app_user)
    << " password=" << (superuser ? credentials_.superuser_password : credentials_.app_password)
    << " connect_timeout=5";
  return s.str();
}

void PostgresCluster::remove_stale_lock_file() {
  // We hold the cluster lock, so a postmaster.pid here is from a runner that
  // was killed; reap_orphaned_runs has killed its postmaster, which may still
  // be a zombie waiting for PID 1, and PostgreSQL takes a zombie for alive.
  const std::string lock = data_dir_ + "/postmaster.pid";
  std::ifstream in(lock);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const std::string stat = read_text_file("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    const bool gone = stat.empty() || (close != std::string::npos && close + 2 < stat.size() &&
                                       (stat[close + 2] == 'Z' || stat[close + 2] == 'X'));
    if (gone) break;
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("a postmaster (PID " + std::to_string(pid) + ") still runs on " +
                               data_dir_ + "; stop it, then retry");
    }
    interruptible_sleep_ms(50);
  }
  ::unlink(lock.c_str());
}

void PostgresCluster::initialise(const PostgresSettings& settings) {
  credentials_.superuser_password = generate_password();
  credentials_.app_password = generate_password();
  ::mkdir(data_dir_.c_str(), 0700);
  if (::chown(data_dir_.c_str(), user_.uid, user_.gid) != 0) {
    throw InputError("cannot chown " + data_dir_ + " to the service user: run as root");
  }
  const std::string pwfile = settings.run_dir + "/initdb-password";
  write_private_file(pwfile, credentials_.superuser_password + "\n", user_);
  const InstallRoot root = install_root();
  const auto r = run_and_capture(
      {root.installed(kPostgresBinDir) + "/initdb", "-D", data_dir_, "-U", credentials_.superuser,
       "--pwfile=" + pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-locale"},
      user_, root.environment({"PATH=/usr/bin:/bin", "LANG=C"}));
  ::unlink(pwfile.c_str());
  if (r.exit_code != 0) throw std::runtime_error("initdb failed:\n" + r.output);
  nlohmann::json j{{"superuser", credentials_.superuser},
                   {"superuser_password", credentials_.superuser_password},
                   {"app_user", credentials_.app_user},
                   {"app_password", credentials_.app_password}};
  // Root-owned and private: only the runner reads the credentials.
  write_private_file(credentials_path_, j.dump(2) + "\n", UserIds{0, 0, "/"});
}

void PostgresCluster::wait_until_ready(std::chrono::milliseconds timeout) {
  wait_for_port(port_, server_, timeout, log_path_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    try {
      pqxx::connection c(conninfo(true));
      pqxx::nontransaction t(c);
      t.exec("select 1");
      return;
    } catch (const pqxx::broken_connection&) {
      // "the database system is starting up": try again shortly
    }
    if (!server_.running())
      throw std::runtime_error("postgres exited during startup; see " + log_path_);
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("postgres did not accept connections in time; see " + log_path_);
    }
    interruptible_sleep_ms(50);
  }
}

void PostgresCluster::create_database_and_table(long rows) {
  {
    pqxx::connection c(conninfo(true));
    pqxx::nontransaction t(c);
    t.exec("create role " + credentials_.app_user + " login password " +
           t.quote(credentials_.app_password));
    t.exec(std::string("create database ") + kDatabaseName + " owner " + credentials_.app_user);
  }
  pqxx::connection c(conninfo(false));
  load_test_table(c, rows);
}

}  // namespace stacksim::live
