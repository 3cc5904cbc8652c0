// What the runner reads and computes without starting anything: ab's output
// and per-request data, percentiles, recipes, placeholders, sweeps, the
// spread of repeats, /proc/stat, nginx's config, the table's data, an HTTP
// answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/input_error.hpp"
#include "live/measure/cpu_accounting.hpp"
#include "live/os/ports.hpp"
#include "live/repeat_summary.hpp"
#include "live/run.hpp"
#include "live/servers/load_generator.hpp"
#include "live/servers/nginx.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/servers/table_loader.hpp"
#include "live/sweep.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim::live {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

// Nearest rank: the p-th percentile of n sorted values is the value at rank
// ceil(p/100 * n). For 1..10: p50 -> rank 5 -> 5; p90 -> 9; p99 -> ceil(9.9)
// = 10; p0 -> the first.
TEST(Percentile, NearestRankOfOneToTen) {
  const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(nearest_rank_percentile(v, 50), 5);
  EXPECT_EQ(nearest_rank_percentile(v, 90), 9);
  EXPECT_EQ(nearest_rank_percentile(v, 99), 10);
  EXPECT_EQ(nearest_rank_percentile(v, 0), 1);
  EXPECT_EQ(nearest_rank_percentile({}, 50), 0);
}

// ab's summary says 6 complete, 2 failed (1 receive, 1 length) and 1 non-2xx.
// A length mismatch is the 500's different body, already counted as non-2xx,
// so failed = receive 1 + max(non-2xx 1, length 1) = 2 and completed = 6 - 2 = 4.
// Latencies come from the -g file's ttime column (second to last): 10, 20,
// 30, 40, 50, 60 ms -> p50 = rank 3 = 30, max 60, mean 35.
TEST(AbOutput, FailuresIncludeNon2xxAndPercentilesComeFromPerRequestData) {
  const std::string out =
      "Concurrency Level:      2\n"
      "Time taken for tests:   2.000 seconds\n"
      "Complete requests:      6\n"
      "Failed requests:        2\n"
      "   (Connect: 0, Receive: 1, Length: 1, Exceptions: 0)\n"
      "Non-2xx responses:      1\n";
  std::string tsv = "starttime\tseconds\tctime\tdtime\tttime\twait\n";
  for (int i = 1; i <= 6; ++i) {
    tsv += "Thu Nov 26 08:00:0" + std::to_string(i) + " 2026\t1764144000\t1\t" +
           std::to_string(10 * i - 1) + "\t" + std::to_string(10 * i) + "\t" +
           std::to_string(10 * i - 1) + "\n";
  }
  const LoadResult r = parse_ab_output(out, tsv);
  EXPECT_EQ(r.failed, 2);
  EXPECT_EQ(r.non_2xx, 1);
  EXPECT_EQ(r.completed, 4);
  EXPECT_DOUBLE_EQ(r.throughput_rps, 4 / 2.0);
  EXPECT_EQ(r.samples, 6);
  EXPECT_DOUBLE_EQ(r.p50_ms, 30);
  EXPECT_DOUBLE_EQ(r.max_ms, 60);
  EXPECT_DOUBLE_EQ(r.mean_ms, 35);
}

TEST(AbArgv, RequestCountComesAfterTimeLimitOrAbStopsAtFiftyThousand) {
  LoadSettings s;
  s.port = 8080;
  s.clients = 100;
  s.duration_s = 10;
  s.work_dir = "/tmp";
  s.label = "window";
  const auto argv = load_generator_argv(s);
  const auto t = std::find(argv.begin(), argv.end(), "-t");
  const auto n = std::find(argv.begin(), argv.end(), "-n");
  ASSERT_NE(t, argv.end());
  ASSERT_NE(n, argv.end());
  EXPECT_LT(t, n);
  EXPECT_GE(std::stol(*(n + 1)), 300000);  // 10 s at up to 30,000 rps
  EXPECT_EQ(argv.back(), "http://127.0.0.1:8080/test");
}

TEST(WrkOutput, SummaryLineInMicrosecondsBecomesMilliseconds) {
  const std::string out =
      "Running 3s test\n{\"requests\": 300, \"duration_us\": 3000000, \"connect\": 0, \"read\": 1, "
      "\"write\": 0, \"status\": 2, \"timeout\": 0, \"mean_us\": 25000.0, \"p50_us\": 24000, "
      "\"p90_us\": 30000, \"p99_us\": 40000, \"p999_us\": 45000, \"max_us\": 50000}\n";
  const LoadResult r = parse_wrk_output(out);
  EXPECT_EQ(r.completed, 298);  // 300 answers, 2 of them non-2xx
  EXPECT_EQ(r.failed, 3);       // 1 read error + 2 non-2xx
  EXPECT_DOUBLE_EQ(r.p50_ms, 24);
  EXPECT_DOUBLE_EQ(r.max_ms, 50);
}

TEST(StackRecipes, ParsesTheShippedRecipesWithAllThreeWorkerTypes) {
  const StackRecipes r = load_stack_recipes(default_stacks_path());
  std::set<WorkerType> types;
  for (const auto& [name, s] : r.stacks) types.insert(s.type);
  EXPECT_EQ(types, (std::set<WorkerType>{WorkerType::kSync, WorkerType::kGreenlet,
                                         WorkerType::kCoroutine}));
  EXPECT_EQ(find_stack(r, "gunicorn-flask").type, WorkerType::kSync);
  EXPECT_EQ(default_workers(WorkerType::kSync, 6), 13);  // gunicorn's 2 x cores + 1
  EXPECT_EQ(default_workers(WorkerType::kCoroutine, 6), 6);
  EXPECT_THROW(find_stack(r, "meinheld-flask"), InputError);
  EXPECT_THROW(find_stack(r, "no-such-stack"), InputError);
}

TEST(StackRecipes, ErrorNamesTheFileAndTheField) {
  const std::string text = R"({"schema": "stacksim.live-stacks", "version": 1, "stacks": {
      "x": {"type": "threaded", "server": "s", "installable": true, "packages": [], "argv": ["/bin/true"]}}})";
  EXPECT_TRUE(says(input_error_of([&] { parse_stack_recipes(text, "stacks.json"); }),
                   "stacks.json.stacks.x.type: must be sync|greenlet|coroutine, not threaded"));
}

// A run's knobs as sweep files and records spell them: the configuration
// reads back from its own JSON, policy knobs are read but stay out of the
// record's "config", and a wrong type or an unknown knob names the field.
TEST(RunKnobs, ConfigurationReadsBackAndPolicyStaysOutOfTheRecord) {
  RunConfig c;
  c.stack = "uvicorn-starlette";
  c.workers = 3;
  c.clients = 80;
  c.sessions = 20;
  c.delay_ms = 1.5;
  c.duration_s = 4;
  c.requests = 5000;
  c.warmup_s = 0.5;
  c.rows = 10000;
  c.cores = 1;
  c.db_mode = "pool";
  c.pool_size = 2;
  c.backlog = 512;
  const nlohmann::json j = config_json(c);
  EXPECT_EQ(j.size(), 14u);
  EXPECT_EQ(config_json(config_from_json(j, RunConfig{}, "x")), j);
  EXPECT_EQ(j.at("requests"), 5000);
  EXPECT_EQ(j.at("delay_ms"), 1.5);

  const RunConfig p = config_from_json(
      nlohmann::json{{"wait_quiet_s", 20}, {"foreign_retries", 3}, {"postgres_url_file", "u"}},
      RunConfig{}, "base");
  EXPECT_EQ(p.wait_quiet_s, 20);
  EXPECT_EQ(p.foreign_retries, 3);
  EXPECT_EQ(p.postgres_url_file, "u");
  EXPECT_FALSE(config_json(p).contains("wait_quiet_s"));

  auto message = [](const nlohmann::json& knobs) {
    try {
      config_from_json(knobs, RunConfig{}, "plan.runs[0]");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_EQ(message({{"clients", 1.5}}), "plan.runs[0].clients: must be an integer");
  EXPECT_EQ(message({{"delay_ms", "2"}}), "plan.runs[0].delay_ms: must be a number");
  EXPECT_EQ(message({{"stack", 3}}), "plan.runs[0].stack: must be a string");
  EXPECT_EQ(message({{"clientz", 3}}), "plan.runs[0].clientz: unknown knob");
  EXPECT_EQ(message(nlohmann::json::array()), "plan.runs[0]: must be an object of knobs");
}

// --db-mode's names and the simulator's DbAccess, both ways.
TEST(DbMode, TheRunnersNamesAreTheSimulatorsDbAccess) {
  DbAccess a = DbAccess::kAppPool;
  ASSERT_TRUE(parse_db_mode("connect", a));
  EXPECT_EQ(a, DbAccess::kConnectPerRequest);
  ASSERT_TRUE(parse_db_mode("pool", a));
  EXPECT_EQ(a, DbAccess::kAppPool);
  EXPECT_FALSE(parse_db_mode("connect_per_request", a));
  for (DbAccess d : {DbAccess::kConnectPerRequest, DbAccess::kAppPool}) {
    ASSERT_TRUE(parse_db_mode(db_mode_name(d), a));
    EXPECT_EQ(a, d);
  }
  RunConfig c;
  c.db_mode = "pool";
  EXPECT_EQ(c.db_access(), DbAccess::kAppPool);
  EXPECT_EQ(db_access_of("connect"), DbAccess::kConnectPerRequest);
  EXPECT_EQ(db_access_of("pool"), DbAccess::kAppPool);
}

TEST(Placeholders, KnownAreReplacedUnknownIsAnError) {
  const std::map<std::string, std::string> v = {{"port", "8000"}, {"workers", "5"}};
  EXPECT_EQ(substitute_placeholders("127.0.0.1:{port} -w {workers}", v, "argv"),
            "127.0.0.1:8000 -w 5");
  EXPECT_THROW(substitute_placeholders("{prot}", v, "argv"), InputError);
}

TEST(DebianPackages, AnUnknownPackageIsReportedMissing) {
  const auto missing = missing_packages({"stacksim-no-such-package", "libc6"});
  EXPECT_EQ(missing, std::vector<std::string>{"stacksim-no-such-package"});
}

// Median of {90, 100, 110, 130} is (100 + 110) / 2 = 105; spread = (130 - 90) / 105.
TEST(RepeatSummary, MedianAndRelativeSpread) {
  const Spread s = spread_of({110, 90, 130, 100});
  EXPECT_DOUBLE_EQ(s.median, 105);
  EXPECT_DOUBLE_EQ(s.relative, 40.0 / 105.0);
}

TEST(ProcStat, TicksBecomeSecondsAndBusyExcludesIdleAndIowait) {
  // With USER_HZ = 100: user 100 ticks = 1 s, softirq 50 = 0.5 s.
  const ProcStat s = parse_proc_stat("cpu  100 0 40 1000 10 5 50 0 0 0");
  EXPECT_DOUBLE_EQ(s.user_s, 1.0);
  EXPECT_DOUBLE_EQ(s.softirq_s, 0.5);
  EXPECT_DOUBLE_EQ(s.busy_s(), (100 + 40 + 5 + 50) / 100.0);
  EXPECT_DOUBLE_EQ(s.total_s(), (100 + 40 + 1000 + 10 + 5 + 50) / 100.0);
}

// This test's own process, read as the runner reads the stack's: the
// fields after the command name start with the state, then the parent.
TEST(PidStat, OwnProcessReadsItsParentAndItsCpu) {
  const std::vector<std::string> fields = pid_stat_fields(::getpid());
  ASSERT_GE(fields.size(), 20u);
  EXPECT_EQ(fields[0], "R");
  const PidStat s = read_pid_stat(::getpid());
  EXPECT_TRUE(s.ok);
  EXPECT_EQ(s.ppid, ::getppid());
  EXPECT_GE(s.cpu_s, 0);
  EXPECT_GE(s.reaped_s, 0);
  EXPECT_FALSE(read_pid_stat(-1).ok);
}

TEST(NginxConfig, NewUpstreamConnectionPerRequestAndNoAccessLog) {
  NginxSettings s;
  s.port = 8080;
  s.app_port = 9000;
  s.worker_processes = 2;
  s.worker_connections = 4096;
  const std::string c = nginx_config(s, "/run/x", 1024);
  EXPECT_NE(c.find("worker_processes 2;"), std::string::npos);
  EXPECT_NE(c.find("access_log off;"), std::string::npos);
  EXPECT_NE(c.find("proxy_http_version 1.0;"), std::string::npos);
  EXPECT_EQ(c.find("keepalive "), std::string::npos);  // no upstream keepalive pool
  // The hard limit (1024) caps worker_rlimit_nofile below 2 * 4096 + 64.
  EXPECT_NE(c.find("worker_rlimit_nofile 1024;"), std::string::npos);
}

// An answer as read off the socket: the status from the status line, the
// Content-Type's value whatever the header's case, the body after the blank
// line; anything that is not HTTP is status 0.
TEST(HttpAnswer, StatusContentTypeAndBodyOfARawAnswer) {
  const HttpAnswer a = parse_http_answer(
      "HTTP/1.1 200 OK\r\nserver: uvicorn\r\ncontent-type:  application/json\r\n"
      "Content-Length: 29\r\n\r\n{\"a\": \"0000000042\", \"b\": \"x\"}");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_EQ(a.body, "{\"a\": \"0000000042\", \"b\": \"x\"}");
  const HttpAnswer error = parse_http_answer("HTTP/1.0 500 Internal Server Error\r\n\r\n");
  EXPECT_EQ(error.status, 500);
  EXPECT_EQ(error.content_type, "");
  EXPECT_EQ(error.body, "");
  EXPECT_EQ(parse_http_answer("SSH-2.0-OpenSSH_9.2\r\n").status, 0);
  EXPECT_EQ(parse_http_answer("").status, 0);
}

TEST(TableRows, SameSeedSameTwentyLowercaseLetters) {
  const std::string b = test_row_text(kTableSeed, 42);
  EXPECT_EQ(b.size(), 20u);
  EXPECT_TRUE(std::all_of(b.begin(), b.end(), [](char c) { return c >= 'a' && c <= 'z'; }));
  EXPECT_EQ(b, test_row_text(kTableSeed, 42));
  EXPECT_NE(b, test_row_text(kTableSeed, 43));
}

TEST(Sweep, GridTimesRepeatsInASeededShuffleAndResumeSkipsStoredPoints) {
  const nlohmann::json doc = {
      {"schema", "stacksim.live-sweep"},
      {"version", 1},
      {"base", {{"rows", 10000}, {"duration_s", 2}}},
      {"grid", {{"stack", {"gunicorn-flask", "uvicorn-starlette"}}, {"clients", {10, 20}}}},
      {"repeats", 3},
      {"seed", 7}};
  const SweepPlan a = parse_sweep(doc, "sweep.json", RunConfig{});
  const SweepPlan b = parse_sweep(doc, "sweep.json", RunConfig{});
  ASSERT_EQ(a.points.size(), 2u * 2u * 3u);
  for (std::size_t i = 0; i < a.points.size(); ++i) {
    EXPECT_EQ(a.points[i].key, b.points[i].key);
    EXPECT_EQ(a.points[i].config.repeat, b.points[i].config.repeat);
  }
  EXPECT_EQ(a.points.front().config.rows, 10000);
  // Two points already stored: ten remain.
  std::vector<nlohmann::json> stored = {
      {{"sweep",
        {{"file", "sweep.json"}, {"key", a.points[0].key}, {"repeat", a.points[0].config.repeat}}}},
      {{"sweep",
        {{"file", "sweep.json"},
         {"key", a.points[5].key},
         {"repeat", a.points[5].config.repeat}}}}};
  EXPECT_EQ(pending_points(a, stored).size(), 10u);
  // The same point run by another sweep does not count as done in this one.
  stored.push_back({{"sweep",
                     {{"file", "other.json"},
                      {"key", a.points[1].key},
                      {"repeat", a.points[1].config.repeat}}}});
  EXPECT_EQ(pending_points(a, stored).size(), 10u);
}

TEST(Sweep, UnknownKnobIsAnErrorNamingIt) {
  const nlohmann::json doc = {
      {"schema", "stacksim.live-sweep"}, {"version", 1}, {"runs", {{{"clinets", 10}}}}};
  EXPECT_TRUE(says(input_error_of([&] { parse_sweep(doc, "s.json", RunConfig{}); }),
                   "s.json.runs[0].clinets"));
}

}  // namespace
}  // namespace stacksim::live

namespace stacksim::live {
namespace {

// Two snapshots `seconds` apart, the machine's /proc/stat line at each end,
// every component group going from 1.0 to 1.1 s of CPU (0.1 s in the window).
std::pair<CpuSnapshot, CpuSnapshot> window(int seconds, const char* stat_begin,
                                           const char* stat_end) {
  CpuSnapshot a, b;
  b.at = a.at + std::chrono::seconds(seconds);
  a.machine = parse_proc_stat(stat_begin);
  b.machine = parse_proc_stat(stat_end);
  for (const auto& g : kComponentGroups) {
    a.groups[g] = CgroupCpu{1.0, 0.6, 0.4};
    b.groups[g] = CgroupCpu{1.1, 0.66, 0.44};
  }
  return {a, b};
}

// A 2 s window on 2 CPUs, 1000 requests. The five groups use 0.1 s each
// (0.5 s), softirq 0.2 s, irq 0.05 s; kernel thread 10 goes 1.0 -> 1.1 s,
// thread 11 exits (its 5 s must not count as -5 s), thread 12 is born with
// 0.02 s. Machine busy 1.5 s, the runner 0.03 s. So kernel_system =
// 0.05 + 0.1 + 0.02 = 0.17 s. Softirq runs inline in our processes and
// their cgroups count it: it is reported, not taken off again, so
// foreign = 1.5 - 0.5 - 0.17 - 0.03 = 0.8 s, and per request: app 0.1 s /
// 1000 = 100 us, foreign 800 us, 0.4 foreign cores.
TEST(CpuReport, GroupsKernelAndForeignAddUpToMachineBusyPerRequest) {
  auto [a, b] = window(2, "cpu  1000 0 0 10000 0 0 0 0 0 0", "cpu  1125 0 0 10250 0 5 20 0 0 0");
  a.kernel_threads_s = {{10, 1.0}, {11, 5.0}};
  b.kernel_threads_s = {{10, 1.1}, {12, 0.02}};
  a.runner_s = 0.5;
  b.runner_s = 0.53;
  const CpuReport r = cpu_report(a, b, 1000);
  EXPECT_NEAR(r.machine_busy_s, 1.5, 1e-9);
  EXPECT_NEAR(r.groups.at("app").per_request_us, 100, 1e-6);
  EXPECT_NEAR(r.groups.at("kernel_softirq").cpu_s, 0.2, 1e-9);
  EXPECT_NEAR(r.groups.at("kernel_system").cpu_s, 0.17, 1e-9);
  EXPECT_NEAR(r.groups.at("foreign").cpu_s, 0.8, 1e-9);
  EXPECT_NEAR(r.groups.at("foreign").per_request_us, 800, 1e-6);
  EXPECT_NEAR(r.foreign_cores, 0.4, 1e-9);
}

// schedstat is "run_ns wait_ns timeslices"; anything else is not measured.
TEST(SchedStat, NanosecondsBecomeSecondsAndGarbageIsNotMeasured) {
  const SchedStat s = parse_sched_stat("123456789 2000000 42\n");
  EXPECT_TRUE(s.ok);
  EXPECT_NEAR(s.run_s, 0.123456789, 1e-15);
  EXPECT_NEAR(s.wait_s, 0.002, 1e-15);
  EXPECT_EQ(s.timeslices, 42);
  EXPECT_FALSE(parse_sched_stat("").ok);
  EXPECT_FALSE(parse_sched_stat("12 x 3").ok);
  // This process has schedstat if the kernel keeps it; then it has run.
  const SchedStat self = read_sched_stat(::getpid());
  if (self.ok) {
    EXPECT_GT(self.run_s, 0);
  }
}

// A group's run-queue wait is the sum of its processes' deltas over the
// window (a process born in the window counts whole), per request and per
// timeslice; one process without schedstat makes the group unmeasured.
TEST(CpuReport, RunQueueWaitIsSummedPerGroupAndNeedsEveryProcess) {
  auto [a, b] = window(1, "cpu  1000 0 0 10000 0 0 0 0 0 0", "cpu  1100 0 0 10100 0 0 0 0 0 0");
  auto sample = [](const char* group, double run_s, double wait_s, long slices, bool ok = true) {
    ProcessSample p;
    p.group = group;
    p.sched = SchedStat{ok, run_s, wait_s, slices};
    return p;
  };
  a.processes[100] = sample("app", 1.0, 0.5, 1000);
  b.processes[100] = sample("app", 1.04, 0.53, 1100);  // +0.03 s wait, +100 slices
  b.processes[101] = sample("app", 0.01, 0.002, 50);   // born in the window
  a.processes[200] = sample("nginx", 1.0, 0.1, 10);
  b.processes[200] = sample("nginx", 1.0, 0.1, 10, false);  // schedstat gone
  const CpuReport r = cpu_report(a, b, 500);
  const GroupSched& app = r.groups.at("app").sched;
  EXPECT_TRUE(app.measured);
  EXPECT_NEAR(app.wait_s, 0.032, 1e-12);
  EXPECT_NEAR(app.run_s, 0.05, 1e-12);
  EXPECT_EQ(app.timeslices, 150);
  EXPECT_NEAR(app.wait_per_request_us, 64, 1e-6);
  EXPECT_NEAR(app.wait_per_timeslice_us, 1e6 * 0.032 / 150, 1e-6);
  EXPECT_FALSE(r.groups.at("nginx").sched.measured);
  EXPECT_FALSE(r.groups.at("client").sched.measured) << "no process: nothing measured";
  ASSERT_EQ(r.app_processes.size(), 2u);
  EXPECT_NEAR(r.app_processes[0].runqueue_wait_s, 0.03, 1e-12);
  const auto j = to_json(r);
  EXPECT_TRUE(j.at("groups").at("app").contains("runqueue"));
  EXPECT_FALSE(j.at("groups").at("nginx").contains("runqueue"));
}

}  // namespace
}  // namespace stacksim::live
