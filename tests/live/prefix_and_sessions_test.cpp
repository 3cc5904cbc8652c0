// Programs from a relocatable prefix (STACKSIM_PREFIX, --prefix) and servers
// in sessions of their own: how paths, scripts and environments resolve
// under a root, the bad-input cases, and real runs whose processes are read
// from /proc while they serve (argv, session id).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live_test_support.hpp"

namespace stacksim::live::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A scratch directory, world-traversable (PostgreSQL runs as `stacksim`),
// removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/stacksim-prefix-test-XXXXXX";
    path = ::mkdtemp(tmpl);
    ::chmod(path.c_str(), 0755);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& rel, const std::string& text) const {
    fs::create_directories(fs::path(path + rel).parent_path());
    std::ofstream(path + rel) << text;
  }
};

// Sets an environment variable for one scope; the children the test starts inherit it.
struct ScopedEnv {
  std::string name;
  ScopedEnv(const std::string& n, const std::string& value) : name(n) {
    ::setenv(n.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name.c_str()); }
};

void expect_one_line_exit_2(const BinaryResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line, not:\n" << r.err;
}

TEST(InstallRoot, TheHostsOwnRootLeavesPathsCommandsAndEnvironmentAlone) {
  const InstallRoot root;
  EXPECT_FALSE(root.is_prefix());
  EXPECT_EQ(root.recorded(), "/");
  EXPECT_EQ(root.installed("/usr/sbin/nginx"), "/usr/sbin/nginx");
  const std::vector<std::string> argv = {"/usr/bin/gunicorn", "--workers", "2"};
  EXPECT_EQ(root.command(argv), argv);
  const std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LANG=C"};
  EXPECT_EQ(root.environment(env, true), env);
}

// Under prefix R: /usr/sbin/nginx is R/usr/sbin/nginx; gunicorn's
// "#!/usr/bin/python3" would run the host's Python, so R/usr/bin/python3
// runs R/usr/bin/gunicorn; PATH starts with R's bin directories and the
// libraries and Python home are R's.
TEST(InstallRoot, UnderAPrefixProgramsScriptsAndEnvironmentComeFromIt) {
  TempDir d;
  d.write("/usr/bin/gunicorn", "#!/usr/bin/python3\nprint('x')\n");
  d.write("/usr/bin/envscript", "#!/usr/bin/env python3\n");
  d.write("/usr/sbin/nginx",
          "\x7f"
          "ELF not a script");
  const InstallRoot root = InstallRoot::prefix(d.path, "STACKSIM_PREFIX=" + d.path);
  const std::string r = d.path;
  EXPECT_TRUE(root.is_prefix());
  EXPECT_EQ(root.recorded(), r);
  EXPECT_EQ(root.installed("/usr/lib/postgresql/15/bin/postgres"),
            r + "/usr/lib/postgresql/15/bin/postgres");
  EXPECT_EQ(root.command({"/usr/bin/gunicorn", "--workers", "2"}),
            (std::vector<std::string>{r + "/usr/bin/python3", r + "/usr/bin/gunicorn", "--workers",
                                      "2"}));
  EXPECT_EQ(root.command({"/usr/bin/envscript"}),
            (std::vector<std::string>{r + "/usr/bin/python3", r + "/usr/bin/envscript"}));
  EXPECT_EQ(root.command({"/usr/sbin/nginx", "-p", "x"}),
            (std::vector<std::string>{r + "/usr/sbin/nginx", "-p", "x"}));

  const auto env = root.environment({"PATH=/usr/bin:/bin", "LANG=C", "PYTHONHOME=/elsewhere"});
  std::map<std::string, std::string> vars;
  for (const auto& e : env) vars[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  EXPECT_EQ(vars.at("PATH").rfind(r + "/usr/bin:", 0), 0u) << vars.at("PATH");
  EXPECT_NE(vars.at("PATH").find(":/usr/bin:/bin"), std::string::npos) << vars.at("PATH");
  EXPECT_EQ(vars.at("LD_LIBRARY_PATH"),
            r + "/usr/lib/x86_64-linux-gnu:" + r + "/lib/x86_64-linux-gnu");
  EXPECT_EQ(vars.count("PYTHONHOME"), 0u) << "only Python programs get one";
  EXPECT_EQ(vars.at("LANG"), "C");
  bool home = false;
  for (const auto& e : root.environment({"LANG=C"}, true)) home |= e == "PYTHONHOME=" + r + "/usr";
  EXPECT_TRUE(home);
}

TEST(InstallRoot, MissingDirectoryFileOrTreeWithoutUsrIsAnInputErrorNamingTheSource) {
  TempDir d;
  d.write("/file", "x");
  auto message = [](const std::string& dir) {
    try {
      InstallRoot::prefix(dir, "STACKSIM_PREFIX=" + dir);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(d.path + "/nope").find("STACKSIM_PREFIX=" + d.path + "/nope: No such file"),
            std::string::npos);
  EXPECT_NE(message(d.path + "/file").find("not a directory"), std::string::npos);
  EXPECT_NE(message(d.path).find("has no usr/"), std::string::npos);
  EXPECT_FALSE(InstallRoot::prefix("/", "STACKSIM_PREFIX=/").is_prefix());
}

TEST(InstallRoot, PackageListLinesInBothFormsAndVersionsComeFromThePrefix) {
  EXPECT_EQ(parse_package_list_line("Package: gunicorn Version: 20.1.0-6+deb12u1"),
            (std::pair<std::string, std::string>{"gunicorn", "20.1.0-6+deb12u1"}));
  EXPECT_EQ(parse_package_list_line("nginx-light 1.22.1-9"),
            (std::pair<std::string, std::string>{"nginx-light", "1.22.1-9"}));
  EXPECT_EQ(parse_package_list_line("garbage"), (std::pair<std::string, std::string>{}));
  TempDir d;
  d.write("/usr/bin/.keep", "");
  d.write("/PACKAGES.txt", "Package: gunicorn Version: 1.2-3\nPackage: wrk Version: 4.1\n");
  const ScopedEnv env(kPrefixEnv, d.path);
  const auto versions = debian_package_versions({"gunicorn", "wrk", "nginx-light"});
  EXPECT_EQ(versions.at("gunicorn"), "1.2-3");
  EXPECT_EQ(versions.at("wrk"), "4.1");
  EXPECT_EQ(versions.at("nginx-light"), "");
  EXPECT_EQ(missing_packages({"gunicorn", "nginx-light"}), std::vector<std::string>{"nginx-light"});
}

TEST(LivePrefixBadInput, MissingOrNonPrefixDirectoryIsOneLineAndExitTwoForEveryCommand) {
  TempDir d;
  {
    const ScopedEnv env(kPrefixEnv, d.path + "/nope");
    expect_one_line_exit_2(run_stacksim({"live", "run", "--stack", "gunicorn-flask"}),
                           "STACKSIM_PREFIX=" + d.path + "/nope");
    expect_one_line_exit_2(run_stacksim({"live", "stacks"}), "STACKSIM_PREFIX=");
  }
  {
    const ScopedEnv env(kPrefixEnv, d.path);  // exists, but no usr/
    expect_one_line_exit_2(run_stacksim({"live", "run", "--stack", "gunicorn-flask"}),
                           "has no usr/");
  }
  const std::string sweep = write_temp(
      "sweep", R"({"schema": "stacksim.live-sweep", "version": 1, "runs": [{"clients": 1}]})");
  expect_one_line_exit_2(run_stacksim({"live", "sweep", "--scenario", sweep, "--store",
                                       d.path + "/store.jsonl", "--prefix", d.path + "/nope"}),
                         "--prefix " + d.path + "/nope");
  ::unlink(sweep.c_str());
}

TEST(LivePrefixBadInput, PackageMissingFromThePrefixIsNamedWithThePrefix) {
  TempDir d;
  d.write("/usr/bin/.keep", "");
  d.write("/PACKAGES.txt", "Package: pgbouncer Version: 1.18.0-1\n");
  const BinaryResult r =
      run_stacksim({"live", "run", "--stack", "gunicorn-flask", "--prefix", d.path});
  expect_one_line_exit_2(r, "not in the prefix " + d.path);
  EXPECT_NE(r.err.find("gunicorn"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/build-prefix.sh"), std::string::npos) << r.err;
}

// --- Real runs, read from /proc while they serve. ---

struct Seen {
  pid_t pid = 0;
  pid_t pgrp = 0;
  pid_t sid = 0;
  std::vector<std::string> argv;
  std::string cmdline;  // argv joined by spaces (nginx rewrites its own into one string)
  std::string env;      // NUL-separated, as /proc/<pid>/environ holds it
};

// The runner's direct children: the processes it spawned.
std::vector<Seen> children_of(pid_t runner) {
  std::vector<Seen> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_text("/proc/" + name + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    char state = 0;
    long ppid = 0, pgrp = 0, session = 0;
    if (std::sscanf(stat.c_str() + close + 1, " %c %ld %ld %ld", &state, &ppid, &pgrp, &session) !=
            4 ||
        ppid != runner)
      continue;
    Seen s;
    s.pid = static_cast<pid_t>(std::stol(name));
    s.pgrp = static_cast<pid_t>(pgrp);
    s.sid = static_cast<pid_t>(session);
    const std::string raw = read_text("/proc/" + name + "/cmdline");
    for (std::size_t i = 0; i < raw.size();) {
      const std::size_t end = raw.find('\0', i);
      s.argv.push_back(raw.substr(i, end - i));
      if (end == std::string::npos) break;
      i = end + 1;
    }
    for (const auto& a : s.argv) s.cmdline += (s.cmdline.empty() ? "" : " ") + a;
    s.env = read_text("/proc/" + name + "/environ");
    if (!s.argv.empty()) out.push_back(s);
  }
  return out;
}

// The first child seen whose command line runs `program`.
const Seen* started(const std::vector<Seen>& children, const std::string& program) {
  for (const auto& s : children) {
    const auto at = s.cmdline.find(program);
    if (at != std::string::npos &&
        (at + program.size() == s.cmdline.size() || s.cmdline[at + program.size()] == ' '))
      return &s;
  }
  return nullptr;
}

// Runs `args` in the background and collects the runner's children until it exits.
json run_watching(const std::vector<std::string>& args, std::vector<Seen>& children,
                  pid_t& runner_sid) {
  const BackgroundRun run = start_stacksim(args);
  int rc = -1;
  runner_sid = -1;
  // The latest look at each child wins: a child first seen between fork and
  // exec still shows the runner's command line and the session it leaves.
  std::map<pid_t, Seen> latest;
  while ((rc = poll_stacksim(run)) < 0) {
    if (runner_sid < 0) runner_sid = ::getsid(run.pid);
    for (auto& s : children_of(run.pid)) latest.insert_or_assign(s.pid, std::move(s));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  for (auto& [pid, s] : latest) children.push_back(std::move(s));
  const std::string out = read_text(run.out_path), err = read_text(run.err_path);
  ::unlink(run.out_path.c_str());
  ::unlink(run.err_path.c_str());
  EXPECT_EQ(rc, 0) << err;
  return rc == 0 ? json::parse(out) : json();
}

// A prefix that holds the host's own files (usr -> /usr) and lists the
// host's packages: real programs, started by their paths under the prefix.
// Every program must be started from it (gunicorn by the prefix's Python),
// each server in its own session, and the record must say so.
TEST(LivePrefix, EveryProgramStartsFromThePrefixEachInItsOwnSession) {
  TempDir d;
  ASSERT_EQ(::symlink("/usr", (d.path + "/usr").c_str()), 0);
  ASSERT_EQ(::symlink("usr/lib", (d.path + "/lib").c_str()), 0);
  FILE* dpkg = ::popen("dpkg-query -W -f='Package: ${Package} Version: ${Version}\\n'", "r");
  ASSERT_NE(dpkg, nullptr);
  std::string list;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, dpkg)) > 0;) list.append(buf, n);
  ::pclose(dpkg);
  d.write("/PACKAGES.txt", list);

  const ScopedEnv env(kPrefixEnv, d.path);
  std::vector<Seen> children;
  pid_t runner_sid = -1;
  const json r =
      run_watching(short_run_args("gunicorn-flask", 2, 4, 4, 5, 2), children, runner_sid);
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r.at("install_root").get<std::string>(), d.path);
  EXPECT_EQ(r.at("server_sessions").get<std::string>(), "own");
  EXPECT_GT(r.at("result").at("completed").get<long>(), 0);
  EXPECT_EQ(r.at("result").at("failed").get<long>(), 0);

  const std::string py = d.path + "/usr/bin/python3";
  const Seen* app = started(children, py);
  ASSERT_NE(app, nullptr) << "the app server was not started by the prefix's Python";
  EXPECT_EQ(app->argv.at(1), d.path + "/usr/bin/gunicorn");
  EXPECT_NE(app->env.find(std::string("PYTHONHOME=") + d.path + "/usr" + '\0'), std::string::npos);
  EXPECT_NE(app->env.find("LD_LIBRARY_PATH=" + d.path + "/usr/lib/"), std::string::npos);
  for (const std::string& program :
       {d.path + "/usr/sbin/nginx", d.path + "/usr/sbin/pgbouncer",
        d.path + "/usr/lib/postgresql/15/bin/postgres", d.path + "/usr/bin/ab", py}) {
    const Seen* s = started(children, program);
    ASSERT_NE(s, nullptr) << program << " was not seen";
    EXPECT_EQ(s->sid, s->pid) << program << " leads a session of its own";
    EXPECT_NE(s->sid, runner_sid) << program;
  }
  // useradd (the host's) runs only where the service user is still missing.
  for (const auto& s : children) {
    if (s.cmdline.find("useradd") != std::string::npos) continue;
    EXPECT_NE(s.cmdline.find(d.path + "/usr/"), std::string::npos) << s.cmdline;
  }
}

// The servers and the load generator share the runner's session, each
// leading a process group of its own. Helpers run before the window
// (dpkg-query, useradd, initdb) are not servers: where they run is not part
// of what --shared-session keeps.
TEST(LiveSessions, SharedSessionKeepsEveryServerInTheRunnersSession) {
  std::vector<Seen> children;
  pid_t runner_sid = -1;
  auto args = short_run_args("gunicorn-flask", 2, 4, 4, 5, 2);
  args.push_back("--shared-session");
  const json r = run_watching(args, children, runner_sid);
  ASSERT_FALSE(r.is_null());
  EXPECT_EQ(r.at("server_sessions").get<std::string>(), "shared");
  EXPECT_EQ(r.at("install_root").get<std::string>(), "/");
  for (const std::string program :
       {"/usr/sbin/nginx", "/usr/sbin/pgbouncer", "/usr/lib/postgresql/15/bin/postgres",
        "/usr/bin/ab", "/usr/bin/python3"}) {
    const Seen* s = started(children, program);
    ASSERT_NE(s, nullptr) << program << " was not seen";
    EXPECT_EQ(s->sid, runner_sid) << s->cmdline;
    EXPECT_EQ(s->pgrp, s->pid) << s->cmdline << " leads its own process group";
  }
}

}  // namespace
}  // namespace stacksim::live::testing
