// What the recipe checks read off a running app server: its answer to
// GET /test checked against the table, the libraries its workers loaded
// (/proc/<pid>/maps), its listening sockets with their accept-queue limit,
// the lines of its log.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "live/os/ports.hpp"
#include "shared_database.hpp"

namespace stacksim::live::testing {

// One answer to GET /test: the key it read, or what was wrong with it.
struct RowAnswer {
  long key = 0;
  std::string error;  // empty when the answer is right
};
// 200, Content-Type application/json, a JSON object of exactly "a" (the key
// zero-filled to 10 digits) and "b", where b is the table's row for a.
RowAnswer check_row_answer(const HttpAnswer& answer, SharedDatabase& db);

// The marks in /proc/<pid>/maps of the event loop, parser or greenlet
// library that the recipe's Debian packages promise (python3-uvloop,
// python3-httptools, python3-gevent).
std::vector<std::string> promised_library_marks(const std::vector<std::string>& packages);
// The marks missing from the process's maps (all of them if it is gone).
std::vector<std::string> missing_library_marks(pid_t pid, const std::vector<std::string>& marks);

// A TCP socket listening on the port: its local address as ss prints it
// ("127.0.0.1:8000", "[::]:8000") and its accept-queue limit (ss's Send-Q
// column: the kernel reports it over sock_diag, /proc/net/tcp has it not).
struct Listener {
  std::string local;
  int backlog = 0;
};
std::vector<Listener> listeners_on(int port);
// The backlog a listen(backlog) call gets: the kernel caps it at somaxconn.
int granted_backlog(int asked);

long count_lines(const std::string& path);

}  // namespace stacksim::live::testing
