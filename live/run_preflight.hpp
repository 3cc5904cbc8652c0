// Before a run starts anything: the config's defaults filled in (recipes,
// apps, workers) and everything it needs checked, every missing package
// named at once: root, the Debian packages (or the prefix's), the server's
// program and interpreter, nginx, the port. Bad input is an InputError.
#pragma once

#include "live/os/install_root.hpp"
#include "live/run.hpp"
#include "live/servers/stack_recipes.hpp"

namespace stacksim::live {

struct Preflight {
  InstallRoot root;
  StackRecipes recipes;
  StackRecipe recipe;
  int cores = 0;  // CPUs the run may use
};

Preflight preflight(RunConfig& config, bool external_postgres);

}  // namespace stacksim::live
