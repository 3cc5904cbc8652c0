// nginx in front of the app, as the article ran it: a private config in the
// run directory, worker_processes = the cores of the run, access log off,
// and proxy_pass over a new upstream connection per request (HTTP/1.0, no
// upstream keepalive). It runs as the service user (ports above 1024), so
// worker_rlimit_nofile stays within the hard limit it inherits.
#pragma once

#include <string>

#include "live/os/process.hpp"

namespace stacksim::live {

struct NginxSettings {
  int port = 0;  // 0: pick a free one
  int app_port = 0;
  int worker_processes = 2;
  int worker_connections = 4096;
  int listen_backlog = 4096;
  Placement placement;  // its cgroup, CPUs and session
};

// The nginx.conf text (exposed for tests).
std::string nginx_config(const NginxSettings& s, const std::string& dir, long open_files_limit);

class Nginx {
 public:
  Nginx(const NginxSettings& settings, const std::string& run_dir, const UserIds& user);
  ~Nginx();

  int port() const { return port_; }
  Process& process() { return process_; }
  void stop();

 private:
  int port_ = 0;
  std::string dir_;
  Process process_;
};

}  // namespace stacksim::live
