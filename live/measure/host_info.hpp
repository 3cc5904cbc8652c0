// What a run record says about the machine: CPU model, cores, kernel, the
// versions of every package of the stack, the cgroup kind, the open-files
// limit and tcp_tw_reuse (on loopback at these rates tens of thousands of
// sockets sit in TIME_WAIT; new connections work only because of it).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace stacksim::live {

// The Debian packages every stack uses (the stack's own come from its recipe).
inline const std::vector<std::string> kBasePackages = {"postgresql-15", "pgbouncer", "nginx-light",
                                                       "apache2-utils", "wrk"};

// /proc/sys/net/ipv4/tcp_tw_reuse (0, 1 or 2; -1 if unreadable).
int tcp_tw_reuse();
// CPUs online now (sysconf).
int online_cpus();
std::string cpu_model();
// Today's date, UTC, as YYYY-MM-DD (profiles and provenance).
std::string today_utc();

nlohmann::json host_info(const std::vector<std::string>& stack_packages);

}  // namespace stacksim::live
