#include "live/os/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "live/os/process_registry.hpp"

extern char** environ;

namespace stacksim::live {
namespace {

// Only async-signal-safe calls between fork and exec.
void write_all(int fd, const char* s) {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    const ssize_t w = ::write(fd, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}

[[noreturn]] void child_fail(int err_fd, const char* what) {
  const int e = errno;
  write_all(err_fd, what);
  write_all(err_fd, ": ");
  write_all(err_fd, std::strerror(e));
  _exit(127);
}

void join_cgroup(int err_fd, const char* procs_path) {
  const int fd = ::open(procs_path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) child_fail(err_fd, "open cgroup.procs");
  if (::write(fd, "0", 1) != 1) child_fail(err_fd, "join cgroup");
  ::close(fd);
}

void pin_cpus(int err_fd, int cpus) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) child_fail(err_fd, "sched_getaffinity");
  cpu_set_t pinned;
  CPU_ZERO(&pinned);
  int taken = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE && taken < cpus; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) {
      CPU_SET(cpu, &pinned);
      ++taken;
    }
  }
  if (sched_setaffinity(0, sizeof pinned, &pinned) != 0) child_fail(err_fd, "sched_setaffinity");
}

// Default dispositions and an empty mask for the new program.
void reset_signals() {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

// stdin from /dev/null; stdout and stderr to the log (owned by the user the
// child runs as), or to /dev/null without one.
void redirect_output(const SpawnSpec& spec, int err_fd) {
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, 0);
  const int out = spec.log_path.empty()
                      ? ::open("/dev/null", O_WRONLY)
                      : ::open(spec.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  if (out < 0) child_fail(err_fd, "open log");
  if (spec.user && ::fchown(out, spec.user->uid, spec.user->gid) != 0)
    child_fail(err_fd, "chown log");
  ::dup2(out, 1);
  ::dup2(out, 2);
}

void become_user(const SpawnSpec& spec, int err_fd) {
  if (::setgroups(0, nullptr) != 0) child_fail(err_fd, "setgroups");
  if (::setgid(spec.user->gid) != 0) child_fail(err_fd, "setgid");
  if (::setuid(spec.user->uid) != 0) child_fail(err_fd, "setuid");
}

// The forked child: its own group (or session), signals, output, cgroup,
// CPUs and user, then the program. A failure is written to err_fd.
[[noreturn]] void exec_child(const SpawnSpec& spec, int err_fd, pid_t parent, char** argv,
                             char** envp) {
  // Either way the child leads a group whose id is its PID, which stop() signals.
  if (spec.placement.own_session) {
    if (::setsid() < 0) child_fail(err_fd, "setsid");
  } else {
    ::setpgid(0, 0);
  }
  reset_signals();
  redirect_output(spec, err_fd);
  const Placement& where = spec.placement;
  if (!where.cgroup_procs_path.empty()) join_cgroup(err_fd, where.cgroup_procs_path.c_str());
  if (where.cpus > 0) pin_cpus(err_fd, where.cpus);
  if (spec.user) become_user(spec, err_fd);
  // Die with the runner even if it is SIGKILLed (set after setuid, which clears it).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) _exit(1);
  if (!spec.working_dir.empty() && ::chdir(spec.working_dir.c_str()) != 0)
    child_fail(err_fd, "chdir");
  ::execve(argv[0], argv, envp);
  child_fail(err_fd, "execve");
}

// What the child wrote before exec, read until execve or its exit closes the pipe.
std::string read_child_error(int fd) {
  std::string err;
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      err.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      break;
    }
  }
  return err;
}

}  // namespace

Process Process::spawn(const SpawnSpec& spec) {
  if (spec.argv.empty()) throw std::logic_error("spawn: empty argv for " + spec.name);
  install_interrupt_handlers();
  std::vector<char*> argv;
  for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  // The child reports a failure before exec through this close-on-exec pipe.
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(err_pipe[0]);
    ::close(err_pipe[1]);
    throw std::runtime_error("fork failed for " + spec.name + ": " + std::strerror(errno));
  }
  if (pid == 0) exec_child(spec, err_pipe[1], parent, argv.data(), envp.data());
  ::close(err_pipe[1]);
  // A group in our session is made in the parent too, so that it exists
  // whatever runs first. A session cannot be: setpgid here would make the
  // child a group leader before its setsid(), which then fails (EPERM).
  // There the wait on the pipe below (closed by execve or by the child's
  // exit) is what orders the two: spawn returns, and stop() can signal the
  // group, only once the child has called setsid().
  if (!spec.placement.own_session) ::setpgid(pid, pid);
  register_process_group(pid);
  Process p;
  p.pid_ = pid;
  p.name_ = spec.name;
  p.stop_signal_ = spec.stop_signal;
  p.signal_leader_only_ = spec.signal_leader_only;
  const std::string err = read_child_error(err_pipe[0]);
  ::close(err_pipe[0]);
  if (!err.empty()) {
    p.stop(std::chrono::milliseconds(0));
    throw std::runtime_error("could not start " + spec.name + " (" + spec.argv[0] + "): " + err);
  }
  return p;
}

Process::Process(Process&& other) noexcept {
  *this = std::move(other);
}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop();
    pid_ = other.pid_;
    reaped_ = other.reaped_;
    status_ = other.status_;
    stop_signal_ = other.stop_signal_;
    signal_leader_only_ = other.signal_leader_only_;
    name_ = std::move(other.name_);
    other.pid_ = -1;
  }
  return *this;
}

Process::~Process() {
  if (pid_ > 0) stop();
}

bool Process::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int Process::wait() {
  while (running()) interruptible_sleep_ms(20);
  return status_;
}

void Process::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  const pid_t pgid = pid_;
  if (running()) {
    ::kill(signal_leader_only_ ? pid_ : -pgid, stop_signal_);
    const auto deadline = std::chrono::steady_clock::now() + grace;
    while (running() && std::chrono::steady_clock::now() < deadline) {
      timespec ts{0, 10 * 1000000L};
      nanosleep(&ts, nullptr);
    }
  }
  // Whatever is left of the group (the leader, or workers it left behind);
  // a child that failed before leading its group is killed by its PID (not
  // reaped yet, so the PID is still its own).
  if (::kill(-pgid, SIGKILL) != 0 && errno == ESRCH && !reaped_) ::kill(pid_, SIGKILL);
  if (!reaped_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    status_ = status;
  }
  unregister_process_group(pgid);
  pid_ = -1;
}

CaptureResult run_and_capture(const std::vector<std::string>& argv,
                              const std::optional<UserIds>& user,
                              const std::vector<std::string>& env) {
  char path_template[] = "/tmp/stacksim-capture-XXXXXX";
  const int fd = ::mkstemp(path_template);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  const std::string path = path_template;
  SpawnSpec spec;
  spec.name = argv.empty() ? "" : argv[0];
  spec.argv = argv;
  spec.env = env.empty() ? current_environment() : env;
  spec.log_path = path;
  spec.user = user;
  // (assigning a literal here trips g++ 12's false -Wrestrict)
  if (user) spec.working_dir = std::string(1, '/');
  CaptureResult result;
  try {
    Process p = Process::spawn(spec);
    const int status = p.wait();
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    p.stop(std::chrono::milliseconds(0));
  } catch (...) {
    ::unlink(path.c_str());
    throw;
  }
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) result.output.append(buf, n);
    std::fclose(f);
  }
  ::unlink(path.c_str());
  return result;
}

std::vector<std::string> current_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  return env;
}

long raise_open_files_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) return -1;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
  return static_cast<long>(lim.rlim_cur);
}

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const std::size_t end = dirs.find(':', start);
    const std::string dir =
        dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const std::string candidate = dir + "/" + name;
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return "";
}

}  // namespace stacksim::live
