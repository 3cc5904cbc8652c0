#include "live/servers/app_server.hpp"

#include <cstdio>
#include <map>

#include "live/measure/served_counts.hpp"
#include "live/os/install_root.hpp"
#include "live/os/ports.hpp"
#include "live/os/process_registry.hpp"

namespace stacksim::live {

AppServer::AppServer(const StackRecipe& recipe, const AppSettings& s) {
  port_ = pick_free_port();
  const InstallRoot root = install_root();
  // {install_root} is "" for the host's /, so "{install_root}/usr/..." is the plain path.
  const std::map<std::string, std::string> values = {
      {"workers", std::to_string(s.workers)},
      {"port", std::to_string(port_)},
      {"backlog", std::to_string(s.backlog)},
      {"apps_dir", s.apps_dir},
      {"run_dir", s.run_dir},
      {"install_root", root.is_prefix() ? root.recorded() : ""}};
  const std::string where = "stack " + recipe.name;
  SpawnSpec spec;
  spec.name = "app server (" + recipe.name + ")";
  std::vector<std::string> argv;
  for (const auto& a : recipe.argv)
    argv.push_back(substitute_placeholders(a, values, where + ".argv"));
  spec.argv = root.command(argv);
  char delay[64];
  std::snprintf(delay, sizeof delay, "%.6g", s.delay_ms);
  spec.env = {"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + s.run_dir,
              // Root must not leave __pycache__ behind in the source tree.
              "PYTHONDONTWRITEBYTECODE=1", "STACKSIM_DB_HOST=" + s.db_host,
              "STACKSIM_DB_PORT=" + std::to_string(s.db_port), "STACKSIM_DB_NAME=" + s.db_name,
              "STACKSIM_DB_USER=" + s.db_user, "STACKSIM_DB_PASSWORD=" + s.db_password,
              std::string("STACKSIM_DELAY_MS=") + delay, "STACKSIM_ROWS=" + std::to_string(s.rows),
              "STACKSIM_DB_MODE=" + s.db_mode, "STACKSIM_POOL_SIZE=" + std::to_string(s.pool_size)};
  if (!s.served_dir.empty()) spec.env.push_back(std::string(kServedDirEnv) + "=" + s.served_dir);
  for (const auto& [k, v] : recipe.env)
    spec.env.push_back(k + "=" + substitute_placeholders(v, values, where + ".env." + k));
  spec.env = root.environment(std::move(spec.env), /*python=*/true);
  log_path_ = s.run_dir + "/app.log";
  spec.log_path = log_path_;
  spec.working_dir = s.apps_dir;
  spec.placement = s.placement;
  spec.stop_signal = SIGTERM;
  process_ = Process::spawn(spec);
  if (s.ready == AppReadiness::kStarted) return;
  wait_for_port(port_, process_, std::chrono::seconds(30), log_path_);
  if (s.ready == AppReadiness::kServing) wait_until_serving();
}

// The port can open before every worker imported the app: ready is a first
// request answered with 200, through the whole database path.
void AppServer::wait_until_serving() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int status = 0;
  while ((status = http_get_status(port_, "/test", std::chrono::seconds(10))) != 200) {
    if (!process_.running()) {
      throw std::runtime_error(process_.name() + " exited during startup; see " + log_path_);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(process_.name() +
                               " did not answer GET /test with 200 (last status " +
                               std::to_string(status) + "); see " + log_path_);
    }
    interruptible_sleep_ms(100);
  }
}

AppServer::~AppServer() {
  stop();
}

void AppServer::stop() {
  process_.stop(std::chrono::seconds(10));
}

}  // namespace stacksim::live
