#include "live/os/process_registry.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <csignal>
#include <ctime>

namespace stacksim::live {
namespace {

constexpr std::size_t kMaxGroups = 256;
std::array<std::atomic<pid_t>, kMaxGroups> g_groups{};
volatile std::sig_atomic_t g_signal = 0;
bool g_installed = false;

void on_signal(int sig) {
  if (g_signal != 0) {
    // Second signal: the user wants out now. Kill every group and leave.
    for (auto& slot : g_groups) {
      const pid_t pgid = slot.load();
      if (pgid > 0) ::kill(-pgid, SIGKILL);
    }
    _exit(128 + sig);
  }
  g_signal = sig;
}

}  // namespace

void install_interrupt_handlers() {
  if (g_installed) return;
  g_installed = true;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

int interrupt_signal() {
  return static_cast<int>(g_signal);
}

void check_interrupted() {
  if (g_signal != 0) throw Interrupted(static_cast<int>(g_signal));
}

void register_process_group(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, pgid)) return;
  }
}

void unregister_process_group(pid_t pgid) {
  for (auto& slot : g_groups) {
    pid_t expected = pgid;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

void interruptible_sleep_ms(long ms) {
  constexpr long kStepMs = 20;
  while (ms > 0) {
    check_interrupted();
    const long step = ms < kStepMs ? ms : kStepMs;
    timespec ts{step / 1000, (step % 1000) * 1000000L};
    nanosleep(&ts, nullptr);
    ms -= step;
  }
  check_interrupted();
}

}  // namespace stacksim::live
