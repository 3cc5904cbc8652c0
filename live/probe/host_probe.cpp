#include "live/probe/host_probe.hpp"

#include <sched.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <numeric>
#include <sstream>

#include "common/input_error.hpp"
#include "live/measure/host_info.hpp"
#include "live/os/install_root.hpp"
#include "live/os/process.hpp"
#include "live/probe/wakeup.hpp"

namespace stacksim::live {

namespace {

using probe::now_ns;
using probe::now_s;
using probe::pin;
using probe::ping_pong;
using probe::ping_pong_alternating;
using probe::PingPong;
using probe::restore_affinity;
using probe::sleep_ns;
using probe::timer_overshoot;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  const std::size_t n = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end());
  const double hi = v[n];
  if (v.size() % 2 == 1) return hi;
  return (*std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n)) + hi) / 2;
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(std::floor(q * static_cast<double>(v.size() - 1)))];
}

// One unit of the C reference: a dependent multiply-xor chain, about 5 ms on
// the machines of this project. Fixed forever: it is the unit of native_rate.
constexpr std::uint64_t kNativeIterations = 4'000'000;
std::uint64_t native_unit(std::uint64_t seed) {
  std::uint64_t x = seed | 1;
  for (std::uint64_t i = 0; i < kNativeIterations; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
  }
  return x;
}

// The Python reference: the same LCG loop in CPython, one unit per sample,
// pinned to each CPU in turn until the deadline. Prints "cpu at_s ms".
constexpr const char* kPythonReference = R"(import os, sys, time
cpus = [int(c) for c in sys.argv[1].split(',')]
until = time.monotonic() + float(sys.argv[2])
t0 = float(sys.argv[3])
out = []
i = 0
while time.monotonic() < until:
    c = cpus[i % len(cpus)]
    os.sched_setaffinity(0, {c})
    t = time.perf_counter()
    x = 1
    for k in range(120000):
        x = (x * 1103515245 + 12345) & 0xffffffff
    out.append('%d %.6f %.6f' % (c, time.monotonic() - t0, (time.perf_counter() - t) * 1e3))
    i += 1
print('\n'.join(out))
)";

// The Python of the run's install root (apt's, or a prefix's).
std::string python_interpreter() {
  return installed("/usr/bin/python3");
}

struct SpeedProbe {
  std::vector<SpeedSample> native, python;
};

void run_native(const std::vector<int>& cpus, double seconds, double t0, SpeedProbe& out) {
  const double until = now_s() + seconds;
  volatile std::uint64_t sink = 0;
  for (std::size_t i = 0; now_s() < until; ++i) {
    const int cpu = cpus[i % cpus.size()];
    pin(cpu);
    const std::int64_t a = now_ns();
    sink = sink + native_unit(static_cast<std::uint64_t>(a));
    out.native.push_back({cpu, now_s() - t0, static_cast<double>(now_ns() - a) / 1e6});
  }
}

void run_python(const std::vector<int>& cpus, double seconds, double t0, SpeedProbe& out) {
  std::string list;
  for (int c : cpus) list += (list.empty() ? "" : ",") + std::to_string(c);
  std::ostringstream t0s;
  t0s.precision(17);
  t0s << t0;
  const CaptureResult r = run_and_capture(
      {python_interpreter(), "-c", kPythonReference, list, std::to_string(seconds), t0s.str()},
      std::nullopt, install_root().environment({"PATH=/usr/bin:/bin", "LANG=C"}, true));
  if (r.exit_code != 0)
    throw InputError("host probe: the Python reference (" + python_interpreter() +
                     ") failed with exit " + std::to_string(r.exit_code) + ": " +
                     r.output.substr(0, 200));
  std::istringstream in(r.output);
  SpeedSample s;
  while (in >> s.cpu >> s.at_s >> s.ms) out.python.push_back(s);
  if (out.python.empty()) throw InputError("host probe: the Python reference printed no samples");
}

// The idle-penalty burst: a pointer chase through a 4 MiB random cycle
// (the working set of a request's processes, more than a core's L2) and a
// short C loop, about 0.3 ms hot.
class Burst {
 public:
  Burst() : next_(kSlots) {
    std::vector<std::uint32_t> order(kSlots);
    std::iota(order.begin(), order.end(), 0U);
    std::uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (std::size_t i = kSlots - 1; i > 0; --i) {  // Fisher-Yates on a fixed LCG
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      std::swap(order[i], order[(x >> 33) % (i + 1)]);
    }
    for (std::size_t i = 0; i < kSlots; ++i) next_[order[i]] = order[(i + 1) % kSlots];
  }
  // Returns the burst's time in us.
  double run() {
    const std::int64_t a = now_ns();
    std::uint32_t p = at_;
    for (int i = 0; i < 4'000; ++i) p = next_[p];
    at_ = p;
    std::uint64_t x = p;
    for (int i = 0; i < 20'000; ++i) x = x * 6364136223846793005ULL + (x >> 31);
    sink_ = sink_ + x;
    return static_cast<double>(now_ns() - a) / 1e3;
  }

 private:
  static constexpr std::size_t kSlots = (4u << 20) / sizeof(std::uint32_t);
  std::vector<std::uint32_t> next_;
  std::uint32_t at_ = 0;
  volatile std::uint64_t sink_ = 0;
};

nlohmann::json to_json(const SpeedLevels& l, const std::vector<SpeedSample>& s) {
  nlohmann::json samples = nlohmann::json::array();
  for (const SpeedSample& x : s) samples.push_back({x.cpu, x.at_s, x.ms});
  return {{"samples", l.samples},       {"median_ms", l.median_ms}, {"rate_per_ms", l.rate},
          {"two_levels", l.two_levels}, {"fast_ms", l.fast_ms},     {"slow_ms", l.slow_ms},
          {"slow_share", l.slow_share}, {"flips", l.flips},         {"cpu_at_s_ms", samples}};
}

nlohmann::json summary_us(const std::vector<double>& us) {
  return {{"n", us.size()},
          {"median_us", median(us)},
          {"p10_us", quantile(us, 0.1)},
          {"p90_us", quantile(us, 0.9)}};
}

std::string kernel_release() {
  utsname u{};
  return uname(&u) == 0 ? std::string(u.release) : "unknown";
}

}  // namespace

SpeedLevels speed_levels(const std::vector<SpeedSample>& samples) {
  SpeedLevels l;
  l.samples = static_cast<int>(samples.size());
  if (samples.empty()) return l;
  std::vector<double> ms;
  double rate = 0;
  for (const SpeedSample& s : samples) {
    ms.push_back(s.ms);
    rate += 1.0 / s.ms;
  }
  l.rate = rate / static_cast<double>(samples.size());
  l.median_ms = median(ms);
  // The best split of the sorted log-times into two runs (least squares
  // within each: 2-means in one dimension, exact by prefix sums), kept when
  // the two levels differ by more than 15%, each holds a tenth, and the
  // split explains most of the spread.
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size(), min_side = std::max<std::size_t>(2, n / 10);
  std::vector<double> sum(n + 1, 0), sq(n + 1, 0);
  for (std::size_t i = 0; i < n; ++i) {
    sum[i + 1] = sum[i] + std::log(sorted[i]);
    sq[i + 1] = sq[i] + std::log(sorted[i]) * std::log(sorted[i]);
  }
  auto within = [&](std::size_t from, std::size_t to) {  // [from, to)
    const double k = static_cast<double>(to - from), s1 = sum[to] - sum[from];
    return sq[to] - sq[from] - s1 * s1 / k;
  };
  std::size_t cut = 0;
  double best = within(0, n);
  for (std::size_t i = min_side; i + min_side <= n; ++i)
    if (const double w = within(0, i) + within(i, n); w < best) {
      best = w;
      cut = i;
    }
  if (cut != 0) {
    const double lo = median({sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(cut)});
    const double hi = median({sorted.begin() + static_cast<std::ptrdiff_t>(cut), sorted.end()});
    // A split explains over 80% of the spread only when there are two
    // levels: one normal level gives 64%, a uniform spread 75%.
    if (hi / lo < 1.15 || best > 0.2 * within(0, n)) cut = 0;
  }
  if (cut == 0) {
    l.fast_ms = l.slow_ms = l.median_ms;
    return l;
  }
  const double threshold = std::sqrt(sorted[cut] * sorted[cut - 1]);
  l.two_levels = true;
  l.fast_ms = median({sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(cut)});
  l.slow_ms = median({sorted.begin() + static_cast<std::ptrdiff_t>(cut), sorted.end()});
  l.slow_share = static_cast<double>(n - cut) / static_cast<double>(n);
  std::map<int, bool> last_slow;  // per CPU
  for (const SpeedSample& s : samples) {
    const bool slow = s.ms > threshold;
    auto [it, fresh] = last_slow.emplace(s.cpu, slow);
    if (!fresh && it->second != slow) ++l.flips;
    it->second = slow;
  }
  return l;
}

double reference_rate(const std::vector<int>& cpus, int units) {
  cpu_set_t saved;
  sched_getaffinity(0, sizeof saved, &saved);
  SpeedProbe probe;
  volatile std::uint64_t sink = 0;
  try {
    for (int i = 0; i < units; ++i)
      for (int cpu : cpus) {
        pin(cpu);
        const std::int64_t a = now_ns();
        sink = sink + native_unit(static_cast<std::uint64_t>(a));
        probe.native.push_back({cpu, 0, static_cast<double>(now_ns() - a) / 1e6});
      }
  } catch (...) {
    restore_affinity(saved);
    throw;
  }
  restore_affinity(saved);
  return speed_levels(probe.native).rate;
}

std::vector<int> probe_cpus(int cores) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0)
    throw InputError(std::string("host probe: cannot read this process's CPU affinity: ") +
                     std::strerror(errno));
  std::vector<int> cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  if (cores > static_cast<int>(cpus.size()))
    throw InputError("--cores " + std::to_string(cores) + ": this process may use only " +
                     std::to_string(cpus.size()) +
                     " CPUs (its affinity mask); ask for at most that many");
  if (cores > 0) cpus.resize(static_cast<std::size_t>(cores));
  return cpus;
}

namespace {

// Speed: C and Python interleaved in half-second slices, so a flip of
// the vCPU's speed shows in both as two levels.
void probe_speed(const std::vector<int>& cpus, double seconds, HostProfile& p) {
  SpeedProbe speed;
  const double t0 = now_s();
  const int slices = std::max(2, static_cast<int>(std::lround(seconds / 0.5)));
  for (int i = 0; i < slices; ++i) {
    const double slice = seconds / slices;
    if (i % 2 == 0) {
      run_native(cpus, slice, t0, speed);
    } else {
      run_python(cpus, slice, t0, speed);
    }
  }
  const SpeedLevels native = speed_levels(speed.native), python = speed_levels(speed.python);
  p.terms.native_rate = native.rate;
  p.terms.python_rate = python.rate;
  p.measurements["speed"] = {{"native", to_json(native, speed.native)},
                             {"python", to_json(python, speed.python)}};
}

// Wake-up: across two CPUs after idle gaps; with one CPU, a timer.
void probe_wakeup(const std::vector<int>& cpus, HostProfile& p) {
  nlohmann::json wake;
  const std::vector<double> timer = timer_overshoot(cpus[0], 100);
  wake["timer_1ms_overshoot"] = summary_us(timer);
  if (cpus.size() >= 2) {
    std::vector<double> idle;
    for (const auto& [gap_ns, rounds] : std::vector<std::pair<std::int64_t, int>>{
             {0, 300}, {100'000, 200}, {1'000'000, 150}, {5'000'000, 80}}) {
      const std::vector<double> us = ping_pong(cpus[0], cpus[1], gap_ns, rounds);
      wake["cross_cpu_after_gap_us"][std::to_string(gap_ns / 1000)] = summary_us(us);
      if (gap_ns >= 1'000'000) idle.insert(idle.end(), us.begin(), us.end());
    }
    wake["same_cpu"] = summary_us(ping_pong(cpus[0], cpus[0], 0, 300));
    wake["method"] = "cross_cpu_pipe: median over idle gaps of 1 and 5 ms";
    p.terms.wakeup_latency_us = median(idle);
  } else {
    wake["method"] = "timer: one CPU allowed, so the overshoot of a 1 ms sleep";
    p.terms.wakeup_latency_us = std::max(0.0, median(timer));
  }
  p.measurements["wakeup"] = wake;
}

// Idle penalty: the burst after gaps, against back to back.
void probe_idle_penalty(int cpu, HostProfile& p) {
  pin(cpu);
  Burst burst;
  for (int i = 0; i < 20; ++i) burst.run();
  nlohmann::json idle;
  double hot = 0, at_window = 0;
  for (const auto& [gap_us, rounds] :
       std::vector<std::pair<int, int>>{{0, 80}, {200, 60}, {1000, 60}, {5000, 40}, {20000, 20}}) {
    std::vector<double> us;
    for (int i = 0; i < rounds; ++i) {
      sleep_ns(std::int64_t{gap_us} * 1000);
      us.push_back(burst.run());
    }
    const double m = median(us);
    if (gap_us == 0) hot = m;
    if (gap_us == 5000) at_window = m;
    idle["burst_after_gap_us"][std::to_string(gap_us)] = summary_us(us);
  }
  p.terms.idle_penalty = at_window / hot - 1;
  idle["method"] = "median burst after 5 ms idle over median back to back, minus 1";
  p.measurements["idle_penalty"] = idle;
}

// Cross-core idle wake-ups: the CPU a ping-pong spends per round on one
// core and across two (rounds alternating, so a speed flip of the vCPU
// slows both alike), back to back and after idle gaps. On one core the
// woken thread runs where the waker ran; across two it wakes a core that
// sat idle. The term is how much more the idle extra costs across:
// (cross after gap - same back to back) / (same after gap - same back to
// back), the median over three repeats at each gap, in [1, 10]. It needs a second CPU: where
// only one may be used (`cores` 1) it takes the next CPU this process may
// use (`allowed`: read before any probe pinned this process), since it is
// the host's, not the run's; with none the term stays 0.
void probe_cross_core(int cpu, const std::vector<int>& allowed, HostProfile& p) {
  const auto other =
      std::find_if(allowed.begin(), allowed.end(), [cpu](int c) { return c != cpu; });
  nlohmann::json cross;
  if (other == allowed.end()) {
    cross["method"] = "not probed: this process may use one CPU only";
    p.measurements["cross_core_idle"] = cross;
    return;
  }
  // Each gap: rounds to the same CPU and to the other alternate.
  const double hot = median(ping_pong_alternating(cpu, {cpu}, 0, 600).front().cpu_us);
  cross["same_cpu_back_to_back_us"] = hot;
  std::vector<double> ratios;
  constexpr int kRepeats = 3;  // per gap, each giving a ratio: the term is their median
  for (int i = 0; i < kRepeats; ++i) {
    for (const auto& [gap_us, rounds] : std::vector<std::pair<int, int>>{{1000, 130}, {5000, 40}}) {
      const std::vector<PingPong> both =
          ping_pong_alternating(cpu, {cpu, *other}, std::int64_t{gap_us} * 1000, rounds);
      const double same = median(both[0].cpu_us), across = median(both[1].cpu_us);
      cross["after_gap_us"][std::to_string(gap_us)].push_back(
          {{"same_cpu_us", same}, {"cross_cpu_us", across}});
      // Below half a microsecond the same-core extra is within the clocks' noise.
      if (same - hot >= 0.5) ratios.push_back((across - hot) / (same - hot));
    }
  }
  cross["cpus"] = {cpu, *other};
  cross["method"] =
      "CPU per ping-pong round (both processes, median over rounds; rounds to a reader on the "
      "same CPU and on the other alternate, so the other CPU sits idle about two gaps): (across "
      "after an idle gap - same CPU back to back) / (same CPU after the gap - same CPU back to "
      "back), the median over three repeats at gaps of 1 and 5 ms, clamped to [1, 10]";
  cross["ratios"] = ratios;
  if (ratios.empty()) {
    cross["note"] = "an idle gap cost no measurable CPU on one core: term left at 0";
  } else {
    p.terms.cross_core_idle = std::clamp(median(ratios), 1.0, 10.0);
  }
  p.measurements["cross_core_idle"] = cross;
}

}  // namespace

HostProfile probe_host(const ProbeOptions& o) {
  const std::vector<int> cpus = probe_cpus(o.cores), allowed = probe_cpus(0);
  cpu_set_t saved;
  sched_getaffinity(0, sizeof saved, &saved);
  HostProfile p;
  p.cpu_model = cpu_model();
  p.cpus = static_cast<int>(cpus.size());
  p.kernel = kernel_release();
  p.date = today_utc();
  try {
    probe_speed(cpus, o.speed_seconds, p);
    probe_wakeup(cpus, p);
    probe_idle_penalty(cpus[0], p);
    probe_cross_core(cpus[0], allowed, p);
    p.measurements["imbalance"] =
        "not probed: how the scheduler places a stack's runnable threads across per-CPU run "
        "queues depends on the stack's own wake-up pattern; calibrate quick fits host.imbalance "
        "on its short plan with the software's demands held fixed";
    p.measurements["cpu_list"] = cpus;
  } catch (...) {
    restore_affinity(saved);
    throw;
  }
  restore_affinity(saved);
  return p;
}

void probe_cross_core_term(const ProbeOptions& o, HostProfile& p) {
  const std::vector<int> cpus = probe_cpus(o.cores), allowed = probe_cpus(0);
  cpu_set_t saved;
  sched_getaffinity(0, sizeof saved, &saved);
  try {
    probe_cross_core(cpus[0], allowed, p);
  } catch (...) {
    restore_affinity(saved);
    throw;
  }
  restore_affinity(saved);
}

std::string format_profile(const HostProfile& p) {
  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(3);
  const nlohmann::json& m = p.measurements;
  auto levels = [&o](const nlohmann::json& l) {
    o << "median " << l.value("median_ms", 0.0) << " ms";
    if (l.value("two_levels", false))
      o << "; two levels: " << l.value("fast_ms", 0.0) << " ms and " << l.value("slow_ms", 0.0)
        << " ms (" << 100 * l.value("slow_share", 0.0) << "% slow, " << l.value("flips", 0)
        << " flips)";
    o << ", " << l.value("samples", 0) << " samples";
  };
  o << "host " << p.cpu_model << ", " << p.cpus << " CPUs, kernel " << p.kernel << ", " << p.date
    << "\n";
  o << "  native_rate        " << p.terms.native_rate << " units/ms  (C loop: ";
  if (m.contains("speed")) levels(m["speed"]["native"]);
  o << ")\n  python_rate        " << p.terms.python_rate << " units/ms  (Python loop: ";
  if (m.contains("speed")) levels(m["speed"]["python"]);
  o << ")\n  wakeup_latency_us  " << p.terms.wakeup_latency_us << "  ("
    << (m.contains("wakeup") ? m["wakeup"].value("method", "") : "") << ")\n";
  o << "  idle_penalty       " << p.terms.idle_penalty << "  (burst after 5 ms idle vs hot)\n";
  o << "  cross_core_idle    " << p.terms.cross_core_idle
    << "  (CPU of an idle wake-up across two CPUs over one; 0: not probed)\n";
  o << "  imbalance          not probed (fitted by calibrate quick on its short plan)\n";
  return o.str();
}

}  // namespace stacksim::live
