// A client for pgbouncer's admin console (SHOW POOLS, SHOW STATS). libpqxx
// 6.4 cannot be used here: it refuses any server whose version is below 9.0,
// and the console reports pgbouncer's own version (1.x). So this calls libpq
// itself (pkg-config libpq, the library libpqxx is built on).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace stacksim::live {

class PgbouncerAdmin {
 public:
  explicit PgbouncerAdmin(const std::string& conninfo);  // throws runtime_error
  PgbouncerAdmin(const PgbouncerAdmin&) = delete;
  PgbouncerAdmin& operator=(const PgbouncerAdmin&) = delete;
  ~PgbouncerAdmin();

  // Runs a console command; each row maps column name to text value.
  std::vector<std::map<std::string, std::string>> query(const std::string& command);

 private:
  void* conn_ = nullptr;  // PGconn*
};

}  // namespace stacksim::live
