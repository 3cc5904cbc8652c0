// The host probe on this machine, for real: a profile with every term,
// levels found in speed samples, the one-CPU fallback for the wake-up
// latency, bad --cores, and a quick calibration of one stack whose model
// carries its profile and can be carried to another host with sim --host.
#include "live/probe/host_probe.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "live_test_support.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/model_io.hpp"

namespace stacksim::live::testing {
namespace {

namespace fs = std::filesystem;

std::string temp_dir(const std::string& stem) {
  const fs::path d =
      fs::temp_directory_path() / ("stacksim-" + stem + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

int allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  return CPU_COUNT(&set);
}

// Samples at 10 ms and 14 ms, alternating in runs of three on one CPU: two
// levels 40% apart, half the samples slow, a flip every third sample.
TEST(SpeedLevels, TwoSpeedsAreSeenAsTwoLevelsWithTheirFlips) {
  std::vector<SpeedSample> s;
  for (int i = 0; i < 60; ++i)
    s.push_back({0, i * 0.01, ((i / 3) % 2 ? 14.0 : 10.0) + 0.01 * (i % 3)});
  const SpeedLevels l = speed_levels(s);
  EXPECT_TRUE(l.two_levels);
  EXPECT_NEAR(l.fast_ms, 10.01, 0.011);
  EXPECT_NEAR(l.slow_ms, 14.01, 0.011);
  EXPECT_NEAR(l.slow_share, 0.5, 1e-12);
  EXPECT_EQ(l.flips, 19);
  // The rate is the mean of 1/ms, so both levels count at their share.
  EXPECT_NEAR(l.rate, 0.5 / 10.01 + 0.5 / 14.01, 1e-3);
}

// One speed with a 10% spread (uniform 9.5..10.5 ms) is one level: a split
// of a uniform spread explains 75% of it, below the 80% a level pair needs.
TEST(SpeedLevels, OneSpeedWithSpreadIsOneLevel) {
  std::vector<SpeedSample> s;
  for (int i = 0; i < 100; ++i) s.push_back({i % 2, i * 0.01, 9.5 + 0.01 * ((i * 37) % 101)});
  const SpeedLevels l = speed_levels(s);
  EXPECT_FALSE(l.two_levels);
  EXPECT_EQ(l.flips, 0);
  EXPECT_DOUBLE_EQ(l.fast_ms, l.slow_ms);
}

// The cross-core term: measured back to back and three times after each
// gap, and either the median ratio in [1, 10] or 0 with the reason (no
// measurable idle cost on one core).
void expect_cross_core_term(const HostProfile& p) {
  const nlohmann::json& m = p.measurements["cross_core_idle"];
  ASSERT_TRUE(m.contains("after_gap_us")) << m.dump();
  for (const char* gap : {"1000", "5000"}) {
    ASSERT_EQ(m["after_gap_us"][gap].size(), 3u) << m.dump();  // three repeats
    for (const nlohmann::json& repeat : m["after_gap_us"][gap]) {
      EXPECT_GT(repeat["same_cpu_us"].get<double>(), 0) << m.dump();
      EXPECT_GT(repeat["cross_cpu_us"].get<double>(), 0) << m.dump();
    }
  }
  EXPECT_LE(m["ratios"].size(), 6u) << m.dump();
  if (p.terms.cross_core_idle == 0) {
    EXPECT_NE(m.value("note", "").find("no measurable CPU"), std::string::npos) << m.dump();
  } else {
    EXPECT_GE(p.terms.cross_core_idle, 1.0);
    EXPECT_LE(p.terms.cross_core_idle, 10.0);
  }
}

TEST(HostProbe, WritesAProfileWithEveryTermThatReadsBack) {
  const std::string dir = temp_dir("probe");
  const std::string out = dir + "/host.json";
  const BinaryResult r = run_stacksim({"host", "probe", "--out", out, "--speed-seconds", "2"},
                                      std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const HostProfile p = load_host_profile(out);
  EXPECT_EQ(p.cpus, allowed_cpus());
  EXPECT_GT(p.terms.native_rate, 0);
  EXPECT_GT(p.terms.python_rate, 0);
  EXPECT_GT(p.terms.wakeup_latency_us, 0);
  EXPECT_LT(p.terms.wakeup_latency_us, 10'000);  // a wake-up, not a timer tick
  EXPECT_GT(p.terms.idle_penalty, -0.5);
  EXPECT_GT(p.measurements["speed"]["native"]["samples"].get<int>(), 10);
  EXPECT_GT(p.measurements["speed"]["python"]["samples"].get<int>(), 5);
  EXPECT_NE(r.out.find("wakeup_latency_us"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("cross_core_idle"), std::string::npos) << r.out;
  if (allowed_cpus() >= 2) expect_cross_core_term(p);
  fs::remove_all(dir);
}

TEST(HostProbe, OneCpuMeasuresTheWakeUpByATimer) {
  const std::string dir = temp_dir("probe1");
  const std::string out = dir + "/host.json";
  const BinaryResult r =
      run_stacksim({"host", "probe", "--cores", "1", "--out", out, "--speed-seconds", "1"},
                   std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const HostProfile p = load_host_profile(out);
  EXPECT_EQ(p.cpus, 1);
  EXPECT_NE(p.measurements["wakeup"]["method"].get<std::string>().find("timer"), std::string::npos);
  EXPECT_FALSE(p.measurements["wakeup"].contains("cross_cpu_after_gap_us"));
  // The cross-core term is the host's: probed on a second CPU where this
  // process may use one, even when the run is pinned to one.
  if (allowed_cpus() >= 2) {
    expect_cross_core_term(p);
    EXPECT_EQ(p.measurements["cross_core_idle"]["cpus"].size(), 2u);
  } else {
    EXPECT_DOUBLE_EQ(p.terms.cross_core_idle, 0.0);
  }
  fs::remove_all(dir);
}

TEST(HostProbe, MoreCoresThanAllowedIsOneLineAndExitTwo) {
  const std::string dir = temp_dir("probe-bad");
  const std::string out = dir + "/host.json";
  const BinaryResult r =
      run_stacksim({"host", "probe", "--cores", std::to_string(allowed_cpus() + 1), "--out", out});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--cores"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(fs::exists(out)) << "nothing half-written";
  fs::remove_all(dir);
}

// calibrate quick on one stack end to end (probe + 3 runs + fit: the
// demands from all three, the wake-up latency from the probe's up with the
// delayed run), then the model it wrote predicts a host whose C and Python
// run twice as fast.
TEST(CalibrateQuick, OneStackWritesAModelWithItsProfileThatSimCanCarry) {
  const std::string dir = temp_dir("quick");
  const std::string model = dir + "/quick.json";
  const std::string plan =
      write_temp("quick-plan",
                 R"({"schema": "stacksim.live-sweep", "version": 1, "name": "quick-test",
          "base": {"sessions": 20, "delay_ms": 0, "duration_s": 1.5, "warmup_s": 0.5,
                   "rows": 1000, "wait_quiet_s": 10},
          "grid": {"stack": ["gunicorn-flask"], "clients": [20, 1]},
          "runs": [{"stack": "gunicorn-flask", "clients": 10, "delay_ms": 5}]})");
  const BinaryResult r = run_stacksim(
      {"calibrate", "quick", "--out", model, "--plan", plan, "--stack", "gunicorn-flask"},
      std::chrono::seconds(400));
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Quick calibration took"), std::string::npos) << r.out;
  const Model m = load_model(model);
  ASSERT_TRUE(m.host.profile.has_value());
  EXPECT_EQ(m.provenance.value("tool", ""), "stacksim calibrate quick");
  EXPECT_GE(static_cast<double>(m.host.wakeup_latency_ns) / 1e3,
            m.host.profile->terms.wakeup_latency_us - 1e-3)
      << "the probe's latency is the fit's floor";
  EXPECT_NE(m.provenance.value("host_terms", "").find("wakeup_latency_us fitted"),
            std::string::npos)
      << m.provenance.dump();
  EXPECT_EQ(m.provenance.at("scheduler_fit").at("points"), 3);
  ASSERT_TRUE(m.stacks.count("gunicorn-flask"));
  EXPECT_TRUE(fs::exists(dir + "/quick.profile.json"));
  EXPECT_TRUE(fs::exists(dir + "/quick.runs.jsonl"));

  // A host twice as fast in both references, the same otherwise.
  nlohmann::json faster = to_json(*m.host.profile);
  faster["terms"]["native_rate"] = 2 * faster["terms"]["native_rate"].get<double>();
  faster["terms"]["python_rate"] = 2 * faster["terms"]["python_rate"].get<double>();
  const std::string host = write_temp("faster-host", faster.dump());
  const std::string scenario =
      write_temp("cpu-bound",
                 R"({"schema": "stacksim.scenario", "version": 1, "name": "cpu-bound", "cores": 2,
          "stacks": ["gunicorn-flask"], "workers": {"sync": 5, "greenlet": 2, "coroutine": 2},
          "clients": 50, "sessions": 100, "delay_ms": 0, "requests": 4000,
          "warmup_requests": 1000, "replications": 1, "seed": 1})");
  auto throughput = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"sim",    "--model",  model, "--scenario",
                                     scenario, "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const BinaryResult s = run_stacksim(args);
    EXPECT_EQ(s.exit_code, 0) << s.err;
    return nlohmann::json::parse(s.out)["configurations"][0]["stacks"][0]["throughput_rps"]["mean"]
        .get<double>();
  };
  const double here = throughput({}), there = throughput({"--host", host});
  // CPU-bound at 0 ms: twice the speed, nearly twice the throughput (the
  // wake-up latency and the kernel's hops do not all scale).
  EXPECT_GT(there / here, 1.6) << here << " -> " << there;
  EXPECT_LT(there / here, 2.2) << here << " -> " << there;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace stacksim::live::testing
