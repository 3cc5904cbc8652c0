// Runs the real `stacksim` binary from the source tree and captures what it
// prints and its exit status: the CLI is tested as a user meets it.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace stacksim::testing {

struct CommandResult {
  int status = -1;
  std::string out;  // stdout and stderr together
};

inline CommandResult run_stacksim(const std::string& args) {
  const std::string cmd =
      std::string("cd ") + STACKSIM_SOURCE_DIR + " && " + STACKSIM_BINARY + " " + args + " 2>&1";
  CommandResult r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int raw = pclose(p);
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return r;
}

}  // namespace stacksim::testing
