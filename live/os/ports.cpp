#include "live/os/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "live/os/process.hpp"
#include "live/os/process_registry.hpp"

namespace stacksim::live {
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

bool try_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const sockaddr_in addr = loopback(port);
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// TCP states in /proc/net/tcp (include/net/tcp_states.h).
constexpr int kTimeWait = 0x06;
constexpr int kListen = 0x0A;

struct TcpEntry {
  int local_port;
  int remote_port;
  int state;
};

std::vector<TcpEntry> read_tcp_table() {
  std::vector<TcpEntry> out;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream ls(line);
      std::string slot, local, remote, state;
      ls >> slot >> local >> remote >> state;
      const auto lport = local.rfind(':');
      const auto rport = remote.rfind(':');
      if (lport == std::string::npos || rport == std::string::npos) continue;
      out.push_back({std::stoi(local.substr(lport + 1), nullptr, 16),
                     std::stoi(remote.substr(rport + 1), nullptr, 16),
                     std::stoi(state, nullptr, 16)});
    }
  }
  return out;
}

// The value of header `name` (lower case) in an answer's head; "" when absent.
std::string header_value(const std::string& head, const std::string& name) {
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);  // the status line
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key != name) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    return value == std::string::npos ? "" : line.substr(value);
  }
  return "";
}

// Whether `raw` holds a whole answer: its head and the body its
// Content-Length announces. Without one, the server's close ends it.
bool answer_complete(const std::string& raw) {
  const auto end = raw.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  const std::string length = header_value(raw.substr(0, end), "content-length");
  if (length.empty()) return false;
  return raw.size() - (end + 4) >= std::strtoul(length.c_str(), nullptr, 10);
}

// One HTTP/1.0 GET of `path` on a new connection; what came back once
// `enough(raw)` holds, the server closed, or the timeout passed ("" when
// the connection failed).
std::string exchange(int port, const std::string& path, std::chrono::milliseconds timeout,
                     bool (*enough)(const std::string&)) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  const sockaddr_in addr = loopback(port);
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return "";
  }
  std::string raw;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (!enough(raw) && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 50) <= 0) {
      check_interrupted();
      continue;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return raw;
}

}  // namespace

int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr = loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind to 127.0.0.1:0 failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = loopback(port);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

void wait_for_port(int port, Process& owner, std::chrono::milliseconds timeout,
                   const std::string& log_path) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!try_connect(port)) {
    if (!owner.running()) {
      throw std::runtime_error(owner.name() + " exited before listening on 127.0.0.1:" +
                               std::to_string(port) + "; see " + log_path);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(owner.name() + " did not listen on 127.0.0.1:" +
                               std::to_string(port) + " in time; see " + log_path);
    }
    interruptible_sleep_ms(20);
  }
}

HttpAnswer http_get(int port, const std::string& path, std::chrono::milliseconds timeout) {
  return parse_http_answer(exchange(port, path, timeout, answer_complete));
}

int http_get_status(int port, const std::string& path, std::chrono::milliseconds timeout) {
  // "HTTP/1.x NNN" is all it needs: no waiting for a body.
  const auto status_line = [](const std::string& raw) { return raw.size() >= 16; };
  return parse_http_answer(exchange(port, path, timeout, status_line)).status;
}

HttpAnswer parse_http_answer(const std::string& raw) {
  HttpAnswer a;
  // "HTTP/1.x NNN ..."
  if (raw.size() < 12 || raw.compare(0, 5, "HTTP/") != 0) return a;
  a.status = std::atoi(raw.substr(9, 3).c_str());
  const auto end = raw.find("\r\n\r\n");
  a.content_type = header_value(raw.substr(0, end), "content-type");
  if (end != std::string::npos) a.body = raw.substr(end + 4);
  return a;
}

int connections_in_flight(const std::vector<int>& ports) {
  int n = 0;
  for (const auto& e : read_tcp_table()) {
    if (e.state == kListen || e.state == kTimeWait) continue;
    const bool ours = std::find(ports.begin(), ports.end(), e.local_port) != ports.end() ||
                      std::find(ports.begin(), ports.end(), e.remote_port) != ports.end();
    if (ours) ++n;
  }
  return n;
}

int connections_in_time_wait() {
  int n = 0;
  for (const auto& e : read_tcp_table()) n += e.state == kTimeWait ? 1 : 0;
  return n;
}

std::vector<int> listening_ports() {
  std::vector<int> out;
  for (const auto& e : read_tcp_table()) {
    if (e.state == kListen) out.push_back(e.local_port);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace stacksim::live
