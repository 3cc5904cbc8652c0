#include "live/measure/cpu_cgroups.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/input_error.hpp"
#include "live/os/text_file.hpp"

namespace stacksim::live {
namespace {

constexpr const char* kV1Root = "/sys/fs/cgroup/cpuacct";

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::string v2_root() {
  std::ifstream mounts("/proc/mounts");
  std::string dev, dir, type, rest;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
    if (type == "cgroup2") return dir;
  }
  return "";
}

}  // namespace

CpuCgroups::CpuCgroups(const std::vector<std::string>& groups) : groups_(groups) {
  std::string root;
  if (exists(std::string(kV1Root) + "/cpuacct.usage")) {
    root = kV1Root;
    v1_ = true;
  } else {
    root = v2_root();
    v1_ = false;
    if (root.empty()) {
      throw InputError(
          "no cgroup hierarchy with CPU accounting (neither v1 cpuacct nor cgroup2 is mounted): "
          "mount one, e.g. `mount -t cgroup -o cpuacct cpuacct /sys/fs/cgroup/cpuacct`");
    }
  }
  run_dir_ = root + "/stacksim-" + std::to_string(::getpid());
  if (::mkdir(run_dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    throw InputError("cannot create cgroup " + run_dir_ +
                     " for CPU accounting: run stacksim live as root");
  }
  for (const auto& g : groups_) ::mkdir((run_dir_ + "/" + g).c_str(), 0755);
}

CpuCgroups::~CpuCgroups() {
  kill_all();
  for (const auto& g : groups_) ::rmdir((run_dir_ + "/" + g).c_str());
  ::rmdir(run_dir_.c_str());
}

std::string CpuCgroups::procs_path(const std::string& group) const {
  return run_dir_ + "/" + group + "/cgroup.procs";
}

CgroupCpu CpuCgroups::read(const std::string& group) const {
  CgroupCpu cpu;
  const std::string dir = run_dir_ + "/" + group;
  if (v1_) {
    const double usage_ns = std::stod("0" + read_text_file(dir + "/cpuacct.usage"));
    cpu.usage_s = usage_ns * 1e-9;
    // cpuacct.stat is in USER_HZ ticks; it splits the usage into user/system.
    std::istringstream stat(read_text_file(dir + "/cpuacct.stat"));
    std::string key;
    double ticks = 0;
    double user_ticks = 0, system_ticks = 0;
    while (stat >> key >> ticks) {
      if (key == "user") user_ticks = ticks;
      if (key == "system") system_ticks = ticks;
    }
    const double total_ticks = user_ticks + system_ticks;
    // Scale the tick split onto the precise nanosecond usage.
    cpu.user_s = total_ticks > 0 ? cpu.usage_s * user_ticks / total_ticks : 0;
    cpu.system_s = cpu.usage_s - cpu.user_s;
  } else {
    std::istringstream stat(read_text_file(dir + "/cpu.stat"));
    std::string key;
    double usec = 0;
    while (stat >> key >> usec) {
      if (key == "usage_usec") cpu.usage_s = usec * 1e-6;
      if (key == "user_usec") cpu.user_s = usec * 1e-6;
      if (key == "system_usec") cpu.system_s = usec * 1e-6;
    }
  }
  return cpu;
}

std::vector<pid_t> CpuCgroups::pids(const std::string& group) const {
  std::vector<pid_t> out;
  std::istringstream in(read_text_file(procs_path(group)));
  long pid = 0;
  while (in >> pid) out.push_back(static_cast<pid_t>(pid));
  return out;
}

std::vector<pid_t> CpuCgroups::all_pids() const {
  std::vector<pid_t> out;
  for (const auto& g : groups_) {
    const auto p = pids(g);
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

int reap_orphaned_runs() {
  std::string root;
  if (exists(std::string(kV1Root) + "/cpuacct.usage")) {
    root = kV1Root;
  } else {
    root = v2_root();
  }
  if (root.empty()) return 0;
  int killed = 0;
  DIR* d = ::opendir(root.c_str());
  if (d == nullptr) return 0;
  std::vector<std::string> orphans;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.rfind("stacksim-", 0) != 0) continue;
    const long runner = std::atol(name.c_str() + 9);
    if (runner <= 0 || (::kill(static_cast<pid_t>(runner), 0) != 0 && errno == ESRCH)) {
      orphans.push_back(root + "/" + name);
    }
  }
  ::closedir(d);
  for (const auto& dir : orphans) {
    for (int round = 0; round < 100; ++round) {
      bool any = false;
      DIR* groups = ::opendir(dir.c_str());
      while (dirent* g = groups ? ::readdir(groups) : nullptr) {
        if (g->d_type != DT_DIR || g->d_name[0] == '.') continue;
        std::istringstream procs(read_text_file(dir + "/" + g->d_name + "/cgroup.procs"));
        long pid = 0;
        while (procs >> pid) {
          any = true;
          if (::kill(static_cast<pid_t>(pid), SIGKILL) == 0 && round == 0) ++killed;
        }
      }
      if (groups) ::closedir(groups);
      if (!any) break;
      timespec ts{0, 20 * 1000000L};
      nanosleep(&ts, nullptr);
    }
    DIR* groups = ::opendir(dir.c_str());
    while (dirent* g = groups ? ::readdir(groups) : nullptr) {
      if (g->d_type == DT_DIR && g->d_name[0] != '.') ::rmdir((dir + "/" + g->d_name).c_str());
    }
    if (groups) ::closedir(groups);
    ::rmdir(dir.c_str());
    // Its run directory (RunDir puts the runner's PID in the name).
    const std::string prefix = "stacksim-run-" + dir.substr(dir.rfind('-') + 1) + "-";
    DIR* tmp = ::opendir("/tmp");
    while (dirent* t = tmp ? ::readdir(tmp) : nullptr) {
      if (std::string(t->d_name).rfind(prefix, 0) == 0) {
        std::error_code ec;
        std::filesystem::remove_all(std::string("/tmp/") + t->d_name, ec);
      }
    }
    if (tmp) ::closedir(tmp);
  }
  return killed;
}

void CpuCgroups::kill_all() {
  // Processes that fork while being killed land in the same cgroup, so loop
  // until it is empty (bounded: a few seconds).
  for (int round = 0; round < 200; ++round) {
    const auto left = all_pids();
    if (left.empty()) return;
    for (pid_t pid : left) ::kill(pid, SIGKILL);
    timespec ts{0, 20 * 1000000L};
    nanosleep(&ts, nullptr);
  }
}

}  // namespace stacksim::live
