#include "live/servers/nginx.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/ports.hpp"
#include "live/os/run_dir.hpp"

namespace stacksim::live {

inline constexpr const char* kNginxBinary = "/usr/sbin/nginx";  // under the install root

std::string nginx_config(const NginxSettings& s, const std::string& dir, long open_files_limit) {
  // Each connection holds two descriptors (client and upstream); nginx
  // cannot raise its limit past the hard limit, so ask for no more.
  const long wanted = 2L * s.worker_connections + 64;
  const long nofile = open_files_limit > 0 ? std::min(wanted, open_files_limit) : wanted;
  std::ostringstream c;
  c << "daemon off;\n"
    << "master_process on;\n"
    << "worker_processes " << s.worker_processes << ";\n"
    << "worker_rlimit_nofile " << nofile << ";\n"
    << "pid " << dir << "/nginx.pid;\n"
    << "error_log " << dir << "/error.log warn;\n"
    << "events {\n"
    << "  worker_connections " << s.worker_connections << ";\n"
    << "  multi_accept off;\n"
    << "}\n"
    << "http {\n"
    << "  access_log off;\n"
    << "  client_body_temp_path " << dir << "/client_body;\n"
    << "  proxy_temp_path " << dir << "/proxy;\n"
    << "  fastcgi_temp_path " << dir << "/fastcgi;\n"
    << "  uwsgi_temp_path " << dir << "/uwsgi;\n"
    << "  scgi_temp_path " << dir << "/scgi;\n"
    << "  keepalive_timeout 0;\n"
    << "  upstream app {\n"
    << "    server 127.0.0.1:" << s.app_port << ";\n"
    << "  }\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << s.port << " backlog=" << s.listen_backlog << ";\n"
    << "    location / {\n"
    << "      proxy_pass http://app;\n"
    << "      proxy_http_version 1.0;\n"
    << "      proxy_set_header Connection close;\n"
    << "      proxy_read_timeout 120s;\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

Nginx::Nginx(const NginxSettings& settings, const std::string& run_dir, const UserIds& user) {
  const InstallRoot root = install_root();
  const std::string binary = root.installed(kNginxBinary);
  if (::access(binary.c_str(), X_OK) != 0)
    throw InputError(root.missing_program(binary, "nginx-light"));
  NginxSettings s = settings;
  if (s.port == 0) s.port = pick_free_port();
  port_ = s.port;
  dir_ = run_dir + "/nginx";
  ::mkdir(dir_.c_str(), 0700);
  if (::chown(dir_.c_str(), user.uid, user.gid) != 0) throw std::runtime_error("chown " + dir_);
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  write_private_file(dir_ + "/nginx.conf", nginx_config(s, dir_, static_cast<long>(lim.rlim_max)),
                     user);

  SpawnSpec spec;
  spec.name = "nginx";
  // -e: the error log before the config is read (the default path is not writable).
  spec.argv = {binary, "-p", dir_, "-c", dir_ + "/nginx.conf", "-e", dir_ + "/error.log"};
  spec.env = root.environment({"PATH=/usr/bin:/bin", "LANG=C"});
  spec.log_path = dir_ + "/stderr.log";
  spec.user = user;
  spec.working_dir = dir_;
  spec.placement = s.placement;
  spec.stop_signal = SIGTERM;  // fast shutdown
  process_ = Process::spawn(spec);
  wait_for_port(port_, process_, std::chrono::seconds(20), dir_ + "/error.log");
}

Nginx::~Nginx() {
  stop();
}

void Nginx::stop() {
  process_.stop(std::chrono::seconds(5));
}

}  // namespace stacksim::live
