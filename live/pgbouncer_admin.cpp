#include "live/pgbouncer_admin.hpp"

#include <dlfcn.h>
#include <libpq-fe.h>

#include <stdexcept>

namespace stacksim::live {
namespace {

struct Libpq {
  decltype(&PQconnectdb) connectdb = nullptr;
  decltype(&PQstatus) status = nullptr;
  decltype(&PQerrorMessage) error_message = nullptr;
  decltype(&PQfinish) finish = nullptr;
  decltype(&PQexec) exec = nullptr;
  decltype(&PQresultStatus) result_status = nullptr;
  decltype(&PQresultErrorMessage) result_error = nullptr;
  decltype(&PQntuples) ntuples = nullptr;
  decltype(&PQnfields) nfields = nullptr;
  decltype(&PQfname) fname = nullptr;
  decltype(&PQgetvalue) getvalue = nullptr;
  decltype(&PQclear) clear = nullptr;
};

template <typename T>
void resolve(void* handle, T& fn, const char* name) {
  fn = reinterpret_cast<T>(::dlsym(handle, name));
  if (fn == nullptr) throw std::runtime_error(std::string("libpq: symbol ") + name + " not found");
}

const Libpq& libpq() {
  static const Libpq lib = [] {
    // RTLD_DEFAULT is a null handle: search what is loaded first.
    void* handle = RTLD_DEFAULT;
    if (::dlsym(handle, "PQconnectdb") == nullptr) {
      handle = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_GLOBAL);
      if (handle == nullptr)
        throw std::runtime_error("libpq.so.5 not found (Debian package libpq5)");
    }
    Libpq l;
    resolve(handle, l.connectdb, "PQconnectdb");
    resolve(handle, l.status, "PQstatus");
    resolve(handle, l.error_message, "PQerrorMessage");
    resolve(handle, l.finish, "PQfinish");
    resolve(handle, l.exec, "PQexec");
    resolve(handle, l.result_status, "PQresultStatus");
    resolve(handle, l.result_error, "PQresultErrorMessage");
    resolve(handle, l.ntuples, "PQntuples");
    resolve(handle, l.nfields, "PQnfields");
    resolve(handle, l.fname, "PQfname");
    resolve(handle, l.getvalue, "PQgetvalue");
    resolve(handle, l.clear, "PQclear");
    return l;
  }();
  return lib;
}

}  // namespace

PgbouncerAdmin::PgbouncerAdmin(const std::string& conninfo) {
  const Libpq& pq = libpq();
  PGconn* c = pq.connectdb(conninfo.c_str());
  if (c == nullptr || pq.status(c) != CONNECTION_OK) {
    const std::string msg = c ? pq.error_message(c) : "out of memory";
    if (c) pq.finish(c);
    throw std::runtime_error("pgbouncer admin console: " + msg);
  }
  conn_ = c;
}

PgbouncerAdmin::~PgbouncerAdmin() {
  if (conn_) libpq().finish(static_cast<PGconn*>(conn_));
}

std::vector<std::map<std::string, std::string>> PgbouncerAdmin::query(const std::string& command) {
  const Libpq& pq = libpq();
  PGresult* r = pq.exec(static_cast<PGconn*>(conn_), command.c_str());
  if (r == nullptr || pq.result_status(r) != PGRES_TUPLES_OK) {
    const std::string msg = r ? pq.result_error(r) : pq.error_message(static_cast<PGconn*>(conn_));
    if (r) pq.clear(r);
    throw std::runtime_error("pgbouncer admin console, " + command + ": " + msg);
  }
  std::vector<std::map<std::string, std::string>> rows;
  const int n = pq.ntuples(r);
  const int f = pq.nfields(r);
  for (int i = 0; i < n; ++i) {
    std::map<std::string, std::string> row;
    for (int j = 0; j < f; ++j) row[pq.fname(r, j)] = pq.getvalue(r, i, j);
    rows.push_back(std::move(row));
  }
  pq.clear(r);
  return rows;
}

}  // namespace stacksim::live
