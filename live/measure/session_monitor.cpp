#include "live/measure/session_monitor.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>

#include "live/servers/pgbouncer_admin.hpp"

namespace stacksim::live {
namespace {

using Row = std::map<std::string, std::string>;

long column(const Row& row, const char* name) {
  const auto it = row.find(name);
  return it == row.end() ? 0 : std::atol(it->second.c_str());
}

PoolSample pools_from(PgbouncerAdmin& admin, const std::string& db) {
  PoolSample s;
  for (const auto& row : admin.query("SHOW POOLS")) {
    if (row.count("database") == 0 || row.at("database") != db) continue;
    s.server_sessions += static_cast<int>(column(row, "sv_active") + column(row, "sv_idle") +
                                          column(row, "sv_used") + column(row, "sv_tested") +
                                          column(row, "sv_login"));
    s.clients_waiting += static_cast<int>(column(row, "cl_waiting"));
  }
  return s;
}

}  // namespace

PoolSample read_pools(const std::string& admin_conninfo, const std::string& db) {
  PgbouncerAdmin admin(admin_conninfo);
  return pools_from(admin, db);
}

PgbouncerTotals read_totals(const std::string& admin_conninfo, const std::string& db) {
  PgbouncerAdmin admin(admin_conninfo);
  PgbouncerTotals totals;
  for (const auto& row : admin.query("SHOW STATS")) {
    if (row.count("database") == 0 || row.at("database") != db) continue;
    totals.transactions += column(row, "total_xact_count");
    totals.queries += column(row, "total_query_count");
  }
  return totals;
}

SessionMonitor::SessionMonitor(std::string admin_conninfo, std::string db, int interval_ms)
    : conninfo_(std::move(admin_conninfo)), db_(std::move(db)), interval_ms_(interval_ms) {
  thread_ = std::thread([this] { loop(); });
}

SessionMonitor::~SessionMonitor() {
  stop();
}

void SessionMonitor::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string SessionMonitor::error() const {
  std::lock_guard<std::mutex> lock(error_mutex_);
  return error_;
}

void SessionMonitor::loop() {
  try {
    PgbouncerAdmin admin(conninfo_);
    while (!stopping_) {
      const PoolSample s = pools_from(admin, db_);
      peak_sessions_ = std::max(peak_sessions_.load(), s.server_sessions);
      peak_waiting_ = std::max(peak_waiting_.load(), s.clients_waiting);
      ++polls_;
      std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms_));
    }
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(error_mutex_);
    error_ = e.what();
  }
}

}  // namespace stacksim::live
