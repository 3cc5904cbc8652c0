// Stack recipes are data (live/stacks.json, owned with the apps): for each
// stack its worker type, the Debian packages it needs and the app server's
// argv with placeholders. This file parses them, substitutes placeholders
// ({workers} {port} {backlog} {apps_dir} {run_dir} {install_root}) and checks
// packages with dpkg-query (or a prefix's package list) so a missing one is
// named, not discovered as a crash.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sim/scenario/config.hpp"

namespace stacksim::live {

struct StackRecipe {
  std::string name;                     // "gunicorn-flask"
  WorkerType type = WorkerType::kSync;  // stacks.json: "sync" | "greenlet" | "coroutine"
  std::string server;
  std::string framework;
  bool installable = true;
  std::string reason;  // why not installable
  std::vector<std::string> packages;
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
};

struct StackRecipes {
  std::string path;
  std::map<std::string, StackRecipe> stacks;
};

// The workers a run of this type gets when none are given: gunicorn's rule
// of 2 x cores + 1 for sync workers, one per core for an event loop.
int default_workers(WorkerType type, int cores);

// Parses stacks.json; InputError names the file and the field.
StackRecipes load_stack_recipes(const std::string& path);
StackRecipes parse_stack_recipes(const std::string& text, const std::string& path);

// The default recipes file of the source tree.
// The checkout the runner reads its recipes, apps, plans and models from:
// STACKSIM_HOME when set (InputError if it holds no live/stacks.json), else
// the one the binary sits in (build/stacksim or ./stacksim), else the
// source directory it was built from. A binary carried to another machine
// with its checkout finds it without flags.
std::string project_dir();
std::string default_stacks_path();
std::string default_apps_dir();

// Looks a stack up; unknown or uninstallable stacks are InputErrors naming
// the fix (the list of known stacks, or the reason).
const StackRecipe& find_stack(const StackRecipes& recipes, const std::string& name);

// Replaces every {key} of `values` in `text`; an unknown {placeholder} is an
// InputError (a typo in a recipe must not reach the command line).
std::string substitute_placeholders(const std::string& text,
                                    const std::map<std::string, std::string>& values,
                                    const std::string& where);

// Installed versions of Debian packages ("" when not installed): from
// dpkg-query, or under a prefix (live/install_root) from its PACKAGES.txt.
std::map<std::string, std::string> debian_package_versions(
    const std::vector<std::string>& packages);
// One line of a prefix's PACKAGES.txt: "Package: NAME Version: VERSION" as
// debian-prefix.sh writes it, or "NAME VERSION"; {"", ""} for anything else.
std::pair<std::string, std::string> parse_package_list_line(const std::string& line);
// The packages among `packages` that are not installed.
std::vector<std::string> missing_packages(const std::vector<std::string>& packages);

}  // namespace stacksim::live
