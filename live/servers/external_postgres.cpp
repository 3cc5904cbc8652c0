#include "live/servers/external_postgres.hpp"

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <pqxx/pqxx>
#include <set>
#include <sstream>
#include <vector>

#include "common/input_error.hpp"
#include "live/measure/cpu_accounting.hpp"
#include "live/os/text_file.hpp"
#include "live/servers/table_loader.hpp"

namespace stacksim::live {
namespace {

// What libpq's own default is on Debian when a URL names no host.
constexpr const char* kDefaultSocketDir = "/var/run/postgresql";

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string first_line(const std::string& s) {
  return trim(s.substr(0, s.find('\n')));
}

// libpq's quoting of a keyword=value value.
std::string quoted(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

const std::optional<std::string>& environment_url() {
  static const std::optional<std::string> url = []() -> std::optional<std::string> {
    const char* v = std::getenv(kPostgresUrlEnv);
    if (v == nullptr) return std::nullopt;
    std::string s = v;
    ::unsetenv(kPostgresUrlEnv);
    if (trim(s).empty()) return std::nullopt;
    return s;
  }();
  return url;
}

struct FreeOptions {
  void operator()(PQconninfoOption* o) const { PQconninfoFree(o); }
};

// Socket inodes of every LISTEN socket on `port` at 127.0.0.1 or any
// address (IPv4 and IPv6), or of the unix socket file `path`.
std::set<unsigned long> listening_inodes(const PostgresUrl& url) {
  std::set<unsigned long> out;
  if (url.unix_socket()) {
    const std::string path = url.host + "/.s.PGSQL." + std::to_string(url.port);
    std::istringstream in(read_text_file("/proc/net/unix"));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string num, refs, proto, flags, type, state, inode, p;
      if ((ls >> num >> refs >> proto >> flags >> type >> state >> inode >> p) && p == path)
        out.insert(std::stoul(inode));
    }
    return out;
  }
  for (const ListeningSocket& l : listening_tcp_sockets()) {
    const bool ours = l.address == "0100007F" ||
                      l.address.find_first_not_of('0') == std::string::npos ||
                      l.address == "00000000000000000000000001000000";
    if (l.port == url.port && ours) out.insert(l.inode);
  }
  return out;
}

}  // namespace

std::string PostgresUrl::address() const {
  return host + ":" + std::to_string(port);
}

std::string PostgresUrl::conninfo() const {
  std::string s = "host=" + quoted(host) + " port=" + std::to_string(port) +
                  " dbname=" + quoted(dbname) + " user=" + quoted(user) + " connect_timeout=5";
  if (!password.empty()) s += " password=" + quoted(password);
  return s;
}

PostgresUrl parse_postgres_url(const std::string& url_in, const std::string& source) {
  const std::string url = trim(url_in);
  auto bad = [&](const std::string& why) { throw InputError(source + ": " + why); };
  if (url.find('\n') != std::string::npos) bad("must hold one postgresql:// URL on one line");
  if (url.rfind("postgresql://", 0) != 0 && url.rfind("postgres://", 0) != 0)
    bad("must be a postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE URL");
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, FreeOptions> options(
      PQconninfoParse(url.c_str(), &error));
  if (!options) {
    // libpq's message names the part it could not parse, never the password.
    const std::string why = error ? first_line(error) : "out of memory";
    if (error) PQfreemem(error);
    bad("not a valid URL: " + why);
  }
  PostgresUrl u;
  u.source = source;
  std::string host, hostaddr, port;
  for (const PQconninfoOption* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword, val = o->val;
    if (key == "host")
      host = val;
    else if (key == "hostaddr")
      hostaddr = val;
    else if (key == "port")
      port = val;
    else if (key == "dbname")
      u.dbname = val;
    else if (key == "user")
      u.user = val;
    else if (key == "password")
      u.password = val;
    else if (key != "connect_timeout" && key != "application_name")
      bad("parameter " + key +
          " is not supported (the runner uses host, port, dbname, user and password)");
  }
  if (host.find(',') != std::string::npos || port.find(',') != std::string::npos)
    bad("give one host and one port");
  if (!hostaddr.empty() && hostaddr != "127.0.0.1")
    bad("hostaddr " + hostaddr + " is not 127.0.0.1: the load stays on this machine");
  if (host.empty()) host = hostaddr.empty() ? kDefaultSocketDir : "127.0.0.1";
  if (host == "localhost") host = "127.0.0.1";  // libpq could pick ::1
  if (host != "127.0.0.1" && host.front() != '/') {
    bad("host " + host +
        " is not this machine: the load stays on 127.0.0.1 (give 127.0.0.1, localhost or a "
        "unix socket directory)");
  }
  u.host = host;
  if (!port.empty()) {
    char* end = nullptr;
    const long p = std::strtol(port.c_str(), &end, 10);
    if (*end != '\0' || p < 1 || p > 65535) bad("port " + port + " is not between 1 and 65535");
    u.port = static_cast<int>(p);
  }
  if (u.user.empty()) bad("must name a user (postgresql://USER:PASSWORD@127.0.0.1:PORT/DATABASE)");
  if (u.dbname.empty()) u.dbname = u.user;  // libpq's default
  // They go unquoted into pgbouncer's ini (its connection strings).
  auto plain = [](const std::string& v, const char* extra) {
    for (char c : v) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && std::strchr(extra, c) == nullptr)
        return false;
    }
    return true;
  };
  if (!plain(u.user, "_.-") || !plain(u.dbname, "_.-") || !plain(u.host, "_.-/"))
    bad("user, database and socket directory may hold only letters, digits, '_', '.' and '-'");
  return u;
}

std::optional<PostgresUrl> postgres_url_from(const std::string& file) {
  if (file.empty()) {
    const auto& env = environment_url();
    if (!env) return std::nullopt;
    return parse_postgres_url(*env, kPostgresUrlEnv);
  }
  const std::string source = "--postgres-url-file " + file;
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) throw InputError(source + ": no such file");
  if (!S_ISREG(st.st_mode)) throw InputError(source + ": not a regular file");
  if ((st.st_mode & S_IROTH) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    throw InputError(source + " is readable by every user (mode " + mode +
                     ") and holds a password: chmod 600 it");
  }
  if (st.st_size > 4096) throw InputError(source + ": too long for one URL");
  if (!std::ifstream(file)) throw InputError(source + ": cannot be read");
  return parse_postgres_url(read_text_file(file), source);
}

ExternalServer prepare_external_server(const PostgresUrl& url, long rows) {
  const std::string where = url.source + ": database " + url.dbname + " at " + url.address();
  std::unique_ptr<pqxx::connection> c;
  try {
    c = std::make_unique<pqxx::connection>(url.conninfo());
  } catch (const std::exception& e) {
    throw InputError(url.source + ": cannot connect to " + url.address() + " as " + url.user +
                     ": " + first_line(e.what()));
  }
  ExternalServer out;
  long oid = 0;
  {
    pqxx::nontransaction t(*c);
    out.server_version = t.exec("select current_setting('server_version')")[0][0].as<std::string>();
    const auto r = t.exec("select to_regclass('test')::oid");
    if (!r[0][0].is_null()) oid = r[0][0].as<long>();
  }
  if (oid == 0) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      load_test_table(*c, rows);
    } catch (const pqxx::sql_error& e) {
      throw InputError(where + ": cannot create table test: " + first_line(e.what()));
    }
    out.loaded_now = true;
    out.load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
  }

  // An existing table is somebody's: check it, never change it.
  const std::string keep = "; it is left untouched (use a database without a table test)";
  pqxx::nontransaction t(*c);
  std::string columns;
  for (const auto& row :
       t.exec("select attname::text || ' ' || format_type(atttypid, atttypmod) from pg_attribute "
              "where attrelid = " +
              std::to_string(oid) + " and attnum > 0 and not attisdropped order by attnum")) {
    columns += (columns.empty() ? "" : ", ") + row[0].as<std::string>();
  }
  const auto pk = t.exec("select pg_get_constraintdef(oid) from pg_constraint where conrelid = " +
                         std::to_string(oid) + " and contype = 'p'");
  const std::string key = pk.empty() ? "no primary key" : pk[0][0].as<std::string>();
  if (columns != "a integer, b text" || key != "PRIMARY KEY (a)") {
    throw InputError(where + ": table test is (" + columns + "; " + key +
                     "), not (a integer primary key, b text)" + keep);
  }
  const auto n = t.exec("select count(*), coalesce(min(a), 0), coalesce(max(a), 0) from test");
  const long count = n[0][0].as<long>(), lo = n[0][1].as<long>(), hi = n[0][2].as<long>();
  if (count != rows || (rows > 0 && (lo != 1 || hi != rows))) {
    throw InputError(where + ": table test has " + std::to_string(count) + " rows (" +
                     std::to_string(lo) + ".." + std::to_string(hi) + "), not 1.." +
                     std::to_string(rows) + " as --rows asks" + keep);
  }
  // The same data as the private cluster: spot-check evenly spaced rows.
  std::string keys;
  for (int i = 0; i <= 8; ++i) keys += (i ? "," : "") + std::to_string(1 + (rows - 1) * i / 8);
  for (const auto& row : t.exec("select a, b from test where a in (" + keys + ")")) {
    const long a = row[0].as<long>();
    if (row[1].as<std::string>() != test_row_text(kTableSeed, a)) {
      throw InputError(where + ": row a = " + std::to_string(a) +
                       " of table test differs from the fixed-seed data" + keep);
    }
  }
  return out;
}

pid_t find_postmaster(const PostgresUrl& url) {
  const std::set<unsigned long> inodes = listening_inodes(url);
  if (inodes.empty()) return 0;
  std::set<pid_t> holders;
  for (pid_t pid : all_pids()) {
    for (unsigned long inode : socket_inodes(pid)) {
      if (inodes.count(inode)) {
        holders.insert(pid);
        break;
      }
    }
  }
  // Backends close the listening sockets after fork; if one has not yet,
  // its parent holds them too: the postmaster is the holder whose parent is not.
  for (pid_t pid : holders) {
    if (!holders.count(read_pid_stat(pid).ppid)) return pid;
  }
  return 0;
}

double postmaster_tree_cpu_s(pid_t postmaster) {
  const PidStat root = read_pid_stat(postmaster);
  if (!root.ok) return -1;
  double total = root.cpu_s + root.reaped_s;
  for (pid_t pid : all_pids()) {
    if (pid == postmaster) continue;
    const PidStat s = read_pid_stat(pid);
    if (s.ok && s.ppid == postmaster) total += s.cpu_s + s.reaped_s;
  }
  return total;
}

}  // namespace stacksim::live
