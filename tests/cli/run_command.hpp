// Runs the real `stacksim` binary from the source tree and captures what it
// prints and its exit status: the CLI is tested as a user meets it.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace stacksim::testing {

// This machine's model and scenario cut to small runs: two replications of
// 300 requests per point, after 50 of warm-up.
inline const std::string kSmallRun =
    "--model models/this-machine.json --scenario scenarios/this-machine.json "
    "--set requests=300 --set warmup_requests=50 --replications 2 ";

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

inline std::size_t lines_of(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// `args` (with " --out FILE" appended) must fail as bad input: exit 2, one
// line naming each of `must_mention`, and FILE not written.
inline void expect_bad_input(const std::string& args, const std::vector<std::string>& must_mention,
                             const std::string& out) {
  std::remove(out.c_str());
  const auto r = run_stacksim(args + " --out " + out);
  EXPECT_EQ(r.status, 2) << args << "\n" << r.out;
  EXPECT_EQ(lines_of(r.out), 1u) << args << ": one line, got:\n" << r.out;
  for (const std::string& m : must_mention)
    EXPECT_NE(r.out.find(m), std::string::npos)
        << args << ": the message should name '" << m << "':\n"
        << r.out;
  EXPECT_FALSE(std::ifstream(out).good()) << args << ": wrote " << out;
}

// One command's bad-input cases: calling it with (args, must_mention) is
// expect_bad_input of `command` + `args`, with --out `out_name` in the
// test's temporary directory.
struct BadInputCases {
  std::string command;   // the command and the arguments every case shares
  std::string out_name;  // a file name, never written
  void operator()(const std::string& args, const std::vector<std::string>& must_mention) const {
    expect_bad_input(command + args, must_mention, ::testing::TempDir() + out_name);
  }
};

}  // namespace stacksim::testing
