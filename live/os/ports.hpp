// Loopback ports and sockets of a run: picking a free port, checking a
// requested one, readiness (the port accepts and a first request is
// answered, never a fixed sleep), one HTTP GET read whole, and counting
// connections still in flight from /proc/net/tcp so the measured window
// starts with none.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace stacksim::live {

class Process;

// A port on 127.0.0.1 that was free a moment ago (bind to port 0).
int pick_free_port();
bool port_is_free(int port);

// Waits until something accepts on 127.0.0.1:port; throws runtime_error if
// `owner` exits first or the timeout passes (the message names the log).
void wait_for_port(int port, Process& owner, std::chrono::milliseconds timeout,
                   const std::string& log_path);

// An HTTP answer: the status (0 when the connection failed or the answer
// was not HTTP), the Content-Type header's value ("" when absent), the body.
struct HttpAnswer {
  int status = 0;
  std::string content_type;
  std::string body;
};

// One HTTP/1.0 GET on a new connection to 127.0.0.1:port, read until the
// server closes it, the body reaches its Content-Length, or the timeout.
HttpAnswer http_get(int port, const std::string& path, std::chrono::milliseconds timeout);
// Its status alone, returned as soon as the status line is in.
int http_get_status(int port, const std::string& path, std::chrono::milliseconds timeout);
// Parses an answer as read from the socket (tests feed it recorded text).
HttpAnswer parse_http_answer(const std::string& raw);

// TCP connections on 127.0.0.1 with either end on one of `ports`, in any
// state but LISTEN and TIME_WAIT (TIME_WAIT holds no request).
int connections_in_flight(const std::vector<int>& ports);
int connections_in_time_wait();
// Ports in LISTEN state on any address.
std::vector<int> listening_ports();

}  // namespace stacksim::live
