#include "live/measure/host_info.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>
#include <fstream>

#include "live/servers/stack_recipes.hpp"

namespace stacksim::live {

int online_cpus() {
  return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
}

int tcp_tw_reuse() {
  std::ifstream in("/proc/sys/net/ipv4/tcp_tw_reuse");
  int v = -1;
  in >> v;
  return v;
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

nlohmann::json host_info(const std::vector<std::string>& stack_packages) {
  utsname u{};
  ::uname(&u);
  std::vector<std::string> packages = kBasePackages;
  packages.insert(packages.end(), stack_packages.begin(), stack_packages.end());
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [pkg, version] : debian_package_versions(packages)) {
    versions[pkg] = version.empty() ? nlohmann::json(nullptr) : nlohmann::json(version);
  }
  rlimit lim{};
  ::getrlimit(RLIMIT_NOFILE, &lim);
  return {{"cpu_model", cpu_model()},
          {"cpus_online", online_cpus()},
          {"kernel", std::string(u.sysname) + " " + u.release},
          {"hostname", u.nodename},
          {"tcp_tw_reuse", tcp_tw_reuse()},
          {"open_files_limit", static_cast<long>(lim.rlim_cur)},
          {"packages", versions}};
}

}  // namespace stacksim::live
