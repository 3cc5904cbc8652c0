// Peak server sessions pgbouncer held during the window (the article's #DB):
// a thread polls the admin console (SHOW POOLS, see pgbouncer_admin) every few
// milliseconds. Also reads SHOW STATS totals, so the window's transactions
// through pgbouncer can be checked against the requests ab saw.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

namespace stacksim::live {

struct PoolSample {
  int server_sessions = 0;  // sv_active + sv_idle + sv_used + sv_tested + sv_login
  int clients_waiting = 0;  // cl_waiting
};

struct PgbouncerTotals {
  long transactions = 0;
  long queries = 0;
};

// One reading of the admin console for database `db`.
PoolSample read_pools(const std::string& admin_conninfo, const std::string& db);
PgbouncerTotals read_totals(const std::string& admin_conninfo, const std::string& db);

class SessionMonitor {
 public:
  SessionMonitor(std::string admin_conninfo, std::string db, int interval_ms = 50);
  SessionMonitor(const SessionMonitor&) = delete;
  SessionMonitor& operator=(const SessionMonitor&) = delete;
  ~SessionMonitor();

  void stop();
  int peak_server_sessions() const { return peak_sessions_.load(); }
  int peak_clients_waiting() const { return peak_waiting_.load(); }
  long polls() const { return polls_.load(); }
  std::string error() const;

 private:
  void loop();

  std::string conninfo_;
  std::string db_;
  int interval_ms_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> peak_sessions_{0};
  std::atomic<int> peak_waiting_{0};
  std::atomic<long> polls_{0};
  mutable std::mutex error_mutex_;
  std::string error_;
  std::thread thread_;
};

}  // namespace stacksim::live
