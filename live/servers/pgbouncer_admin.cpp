#include "live/servers/pgbouncer_admin.hpp"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace stacksim::live {
namespace {

PGconn* connection(void* conn) {
  return static_cast<PGconn*>(conn);
}

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};

}  // namespace

PgbouncerAdmin::PgbouncerAdmin(const std::string& conninfo) {
  PGconn* c = PQconnectdb(conninfo.c_str());
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    const std::string msg = c ? PQerrorMessage(c) : "out of memory";
    if (c) PQfinish(c);
    throw std::runtime_error("pgbouncer admin console: " + msg);
  }
  conn_ = c;
}

PgbouncerAdmin::~PgbouncerAdmin() {
  if (conn_) PQfinish(connection(conn_));
}

std::vector<std::map<std::string, std::string>> PgbouncerAdmin::query(const std::string& command) {
  const std::unique_ptr<PGresult, ClearResult> r(PQexec(connection(conn_), command.c_str()));
  if (r == nullptr || PQresultStatus(r.get()) != PGRES_TUPLES_OK) {
    throw std::runtime_error(
        "pgbouncer admin console, " + command + ": " +
        (r ? PQresultErrorMessage(r.get()) : PQerrorMessage(connection(conn_))));
  }
  std::vector<std::map<std::string, std::string>> rows;
  const int n = PQntuples(r.get());
  const int f = PQnfields(r.get());
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> row;
    for (int j = 0; j < f; ++j) row[PQfname(r.get(), j)] = PQgetvalue(r.get(), i, j);
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace stacksim::live
