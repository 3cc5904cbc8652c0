// The app server of one stack, started from its recipe: placeholders
// substituted, the database settings given through STACKSIM_* variables
// (the contract with live/apps), argv executed directly (from the install
// root, live/install_root) in its own session. Ready means its port accepts
// and GET /test answered 200 (AppReadiness).
#pragma once

#include <string>

#include "live/os/process.hpp"
#include "live/servers/stack_recipes.hpp"

namespace stacksim::live {

// How far the AppServer's constructor waits: the process started; its port
// accepting; or (the runner's) GET /test answered 200 through the whole
// database path. The checks of a server that must fail to start, or answer
// an error, take one of the first two.
enum class AppReadiness { kStarted, kListening, kServing };

struct AppSettings {
  int workers = 1;
  int backlog = 4096;
  std::string apps_dir;
  std::string run_dir;
  std::string db_host = "127.0.0.1";
  int db_port = 0;  // pgbouncer's
  std::string db_name;
  std::string db_user;
  std::string db_password;
  double delay_ms = 0;
  long rows = 0;
  std::string db_mode = "connect";  // "connect" | "pool"
  int pool_size = 4;
  Placement placement;     // its cgroup, CPUs and session
  std::string served_dir;  // where the workers count their requests (live/served_counts)
  AppReadiness ready = AppReadiness::kServing;
};

class AppServer {
 public:
  AppServer(const StackRecipe& recipe, const AppSettings& settings);
  ~AppServer();

  int port() const { return port_; }
  const std::string& log_path() const { return log_path_; }
  Process& process() { return process_; }
  void stop();

 private:
  void wait_until_serving();

  int port_ = 0;
  std::string log_path_;
  Process process_;
};

}  // namespace stacksim::live
