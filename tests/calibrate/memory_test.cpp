// The app server's memory, from /proc to the model. A smaps_rollup's Rss
// and Pss lines are read in kB; the record's `memory` names the master when
// there are more processes than workers; calibrate memory fits, per stack,
// total PSS = master + W x worker by least squares over worker counts:
//   W = 1: 30 + 1 x 20 = 50 MB, W = 4: 30 + 4 x 20 = 110 MB
// gives worker 20 MB and master 30 MB exactly; `--check` compares a model's
// line with records it did not see.
#include "calibrate/memory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "common/input_error.hpp"
#include "live/measure/app_memory.hpp"

namespace stacksim::calibrate {
namespace {

using nlohmann::json;

TEST(AppMemory, RssAndPssComeFromTheirLinesInKb) {
  double rss = 0, pss = 0;
  const std::string text =
      "55d0c0de0000-7ffd00000000 ---p 00000000 00:00 0    [rollup]\n"
      "Rss:               41520 kB\n"
      "Pss:               23060 kB\n"
      "Pss_Anon:          12000 kB\n"
      "Shared_Clean:      18000 kB\n";
  ASSERT_TRUE(live::parse_smaps_rollup(text, rss, pss));
  EXPECT_EQ(rss, 41520);
  EXPECT_EQ(pss, 23060);
  EXPECT_FALSE(live::parse_smaps_rollup("Rss: 1 kB\n", rss, pss));
}

TEST(AppMemory, ThisProcessReadsBackAsOneWorkerWithoutAMaster) {
  const live::AppMemory m = live::read_app_memory({getpid()}, getpid(), 1);
  ASSERT_EQ(m.processes.size(), 1u);
  EXPECT_FALSE(m.processes[0].master);
  EXPECT_GT(m.processes[0].pss_kb, 0);
  EXPECT_GE(m.processes[0].rss_kb, m.processes[0].pss_kb);  // PSS never exceeds RSS
  const json j = live::memory_json(m);
  EXPECT_TRUE(j.at("master").is_null());
  EXPECT_EQ(j.at("worker_processes"), 1);
  EXPECT_DOUBLE_EQ(j.at("total_pss_mb").get<double>(), m.processes[0].pss_kb / 1024);
}

json record(const std::string& stack, int workers, double total_pss, double master_pss,
            int clients = 10, const char* type = "sync") {
  return {
      {"config", {{"stack", stack}, {"workers", workers}, {"clients", clients}, {"type", type}}},
      {"run_id", stack + std::to_string(workers)},
      {"memory",
       {{"total_pss_mb", total_pss},
        {"total_rss_mb", 2 * total_pss},
        {"worker_pss_mb_mean", (total_pss - master_pss) / workers},
        {"master", {{"pss_mb", master_pss}, {"rss_mb", 2 * master_pss}}}}}};
}

TEST(MemoryFit, TheLineOverWorkerCountsGivesWorkerAndMaster) {
  const auto fits = fit_memory({record("s", 1, 50, 25),
                                record("s", 4, 110, 25),
                                {{"config", {{"stack", "old"}, {"workers", 2}}}}},
                               "t.jsonl");
  ASSERT_EQ(fits.size(), 1u);  // the record without memory is skipped
  EXPECT_NEAR(fits.at("s").memory.worker_mb, 20, 1e-12);
  EXPECT_NEAR(fits.at("s").memory.master_mb, 30, 1e-12);
  // One worker count: the means of what was measured.
  const auto one = fit_memory({record("s", 4, 110, 30)}, "t.jsonl");
  EXPECT_NEAR(one.at("s").memory.worker_mb, 20, 1e-12);
  EXPECT_NEAR(one.at("s").memory.master_mb, 30, 1e-12);
}

// An async server's total also grows with the connections its workers
// hold: 30 + W x 15 + C x 0.4 at W = 1, 4 and C = 10, 40 gives the three
// back exactly. A sync server's records at the same loads keep two terms
// (its one connection per worker is in the worker's figure), and so does an
// async server's at one client count.
TEST(MemoryFit, AnAsyncServersClientsAreATermOfTheirOwnWhereTwoLoadsIdentifyIt) {
  std::vector<json> records;
  for (int w : {1, 4})
    for (int c : {10, 40}) {
      records.push_back(record("async", w, 30 + 15 * w + 0.4 * c, 20, c, "coroutine"));
      records.push_back(record("sync", w, 30 + 15 * w, 20, c, "sync"));
    }
  records.push_back(record("one-load", 1, 45, 20, 10, "coroutine"));
  records.push_back(record("one-load", 4, 90, 20, 10, "coroutine"));
  const auto fits = fit_memory(records, "t.jsonl");
  const StackMemory& a = fits.at("async").memory;
  EXPECT_NEAR(a.master_mb, 30, 1e-9);
  EXPECT_NEAR(a.worker_mb, 15, 1e-9);
  EXPECT_NEAR(a.connection_mb, 0.4, 1e-9);
  EXPECT_NE(fits.at("async").method.find("workers and clients"), std::string::npos);
  EXPECT_NEAR(fits.at("sync").memory.worker_mb, 15, 1e-9);
  EXPECT_EQ(fits.at("sync").memory.connection_mb, 0);
  EXPECT_EQ(fits.at("one-load").memory.connection_mb, 0);
  EXPECT_NEAR(fits.at("one-load").memory.worker_mb, 15, 1e-9);
  // The check reads each record at its own clients: the async fit is exact.
  Model m;
  m.stacks["async"].memory = a;
  for (const MemoryCheck& c : check_memory(m, {records[0], records[2]}, "t.jsonl"))
    EXPECT_NEAR(c.relative_error(), 0, 1e-12);
}

TEST(MemoryFit, NoRecordWithMemoryOrAStackNotInTheModelIsNamed) {
  EXPECT_THROW(fit_memory({{{"config", {{"stack", "s"}, {"workers", 1}}}}}, "t.jsonl"), InputError);
  Model m;
  m.source = "m.json";
  try {
    apply_memory(m, fit_memory({record("ghost", 1, 50, 25)}, "t.jsonl"), "t.jsonl");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"ghost\""), std::string::npos) << e.what();
  }
}

// The check compares without fitting: a model of worker 20 MB and master
// 30 MB predicts 30 + 2 x 20 = 70 MB at W = 2 and 190 MB at W = 8; records
// of 77 and 171 MB are +10% and -10% off it, by (predicted - measured) / measured
// = -9.1% and +11.1%.
TEST(MemoryCheck, EachRecordAgainstTheModelsLineWithoutFitting) {
  Model m;
  m.source = "m.json";
  m.stacks["s"].memory = StackMemory{20, 30};
  const auto checks = check_memory(m, {record("s", 2, 77, 25), record("s", 8, 171, 25)}, "t.jsonl");
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_DOUBLE_EQ(checks[0].predicted_mb, 70);
  EXPECT_DOUBLE_EQ(checks[1].predicted_mb, 190);
  EXPECT_NEAR(checks[0].relative_error(), 70.0 / 77 - 1, 1e-12);
  EXPECT_NEAR(checks[1].relative_error(), 190.0 / 171 - 1, 1e-12);
  const std::string table = memory_check_table(checks);
  EXPECT_NE(table.find("-9.1%"), std::string::npos) << table;
  EXPECT_NE(table.find("+11.1%"), std::string::npos) << table;
  // Median of 9.09% and 11.11%: 10.1%; the largest 11.1%.
  EXPECT_NE(table.find("2 records: median |error| 10.1%, largest 11.1%"), std::string::npos)
      << table;
  EXPECT_EQ(m.stacks.at("s").memory->worker_mb, 20);  // nothing fitted
}

TEST(MemoryCheck, AStackWithoutMemoryInTheModelIsNamed) {
  Model m;
  m.source = "m.json";
  m.stacks["bare"];
  for (const char* stack : {"bare", "ghost"}) {
    try {
      check_memory(m, {record(stack, 2, 70, 25)}, "t.jsonl");
      FAIL() << stack;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("\"") + stack + "\""), std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace stacksim::calibrate
