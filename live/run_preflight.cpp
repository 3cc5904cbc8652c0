#include "live/run_preflight.hpp"

#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/input_error.hpp"
#include "live/measure/host_info.hpp"
#include "live/os/ports.hpp"

namespace stacksim::live {
namespace {

void require_packages(const RunConfig& config, const Preflight& pre, bool external) {
  std::vector<std::string> needed = {"pgbouncer",
                                     config.load_generator == "ab" ? "apache2-utils" : "wrk"};
  if (!external) needed.push_back("postgresql-15");
  needed.insert(needed.end(), pre.recipe.packages.begin(), pre.recipe.packages.end());
  const auto missing = missing_packages(needed);
  if (missing.empty()) return;
  std::string list;
  for (const auto& m : missing) list += " " + m;
  if (pre.root.is_prefix()) {
    throw InputError("stack " + config.stack +
                     " needs Debian packages that are not in the prefix " + pre.root.recorded() +
                     " (" + pre.root.source() + "; its " + pre.root.package_list() +
                     " lists what it holds):" + list +
                     "; build it again with scripts/build-prefix.sh, which packs "
                     "live/packages.txt");
  }
  throw InputError(
      "stack " + config.stack + " needs Debian packages that are not installed:" + list +
      "; install them with `apt-get install -y" + list + "` or scripts/install-deps.sh");
}

void require_programs(const RunConfig& config, const Preflight& pre) {
  // Under a prefix a script's interpreter comes from it too: both must be there.
  const std::vector<std::string> server_command = pre.root.command({pre.recipe.argv[0]});
  const std::vector<std::pair<std::string, int>> checks = {
      {server_command.front(), X_OK},
      {server_command.back(), server_command.size() > 1 ? R_OK : X_OK}};
  for (const auto& [program, mode] : checks) {
    if (::access(program.c_str(), mode) != 0) {
      throw InputError(
          pre.recipes.path + ".stacks." + config.stack + ".argv: " + program +
          " is missing or not executable; reinstall its package (" +
          (pre.recipe.packages.empty() ? std::string("see the recipe")
                                       : pre.recipe.packages.front()) +
          ")" + (pre.root.is_prefix() ? " in the prefix given by " + pre.root.source() : ""));
    }
  }
  if (const std::string nginx = pre.root.installed("/usr/sbin/nginx");
      ::access(nginx.c_str(), X_OK) != 0)
    throw InputError(pre.root.missing_program(nginx, "nginx-light"));
}

}  // namespace

// Fills the config's defaults (recipes, apps, workers) and checks that the
// run can start: root, packages, programs, the port.
Preflight preflight(RunConfig& config, bool external) {
  validate(config);
  InstallRoot root = install_root();
  if (::geteuid() != 0) {
    throw InputError(
        "stacksim live must run as root (it creates cgroups and starts PostgreSQL "
        "and pgbouncer as the unprivileged user `stacksim`)");
  }
  if (config.stacks_file.empty()) config.stacks_file = default_stacks_path();
  if (config.apps_dir.empty()) config.apps_dir = default_apps_dir();
  Preflight pre{std::move(root), load_stack_recipes(config.stacks_file), {}, 0};
  pre.recipe = find_stack(pre.recipes, config.stack);
  pre.cores = config.cores > 0 ? config.cores : online_cpus();
  if (config.workers == 0) config.workers = default_workers(pre.recipe.type, pre.cores);
  require_packages(config, pre, external);
  require_programs(config, pre);
  if (config.port != 0 && !port_is_free(config.port)) {
    throw InputError("--port " + std::to_string(config.port) +
                     ": 127.0.0.1:" + std::to_string(config.port) +
                     " is in use; choose another port or leave --port out for a free one");
  }
  return pre;
}

}  // namespace stacksim::live
