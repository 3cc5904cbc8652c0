#include "calibrate/record.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "calibrate/fit.hpp"
#include "common/input_error.hpp"
#include "tests/calibrate/live_records.hpp"

namespace stacksim::calibrate {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

// kernel = kernel_system alone, 22 us: the 200 us of softirq are inside the
// process groups already (calibrate/record.hpp); machine busy 4 of 10 s.
TEST(LiveRecord, ReadsConfigurationCpuGroupsAndHost) {
  const auto j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  const CalibrationRecord r = record_from_live_json(j, "runs.jsonl:1");
  EXPECT_EQ(r.id, "run-a");
  EXPECT_EQ(r.stack, "gunicorn-flask");
  EXPECT_EQ(r.clients, 10);
  EXPECT_EQ(r.workers, 5);
  EXPECT_DOUBLE_EQ(r.sessions_peak, 7);
  EXPECT_DOUBLE_EQ(r.cpu_us_per_request[static_cast<int>(Group::kApp)], 1500);
  EXPECT_DOUBLE_EQ(r.cpu_us_per_request[static_cast<int>(Group::kKernel)], 22);
  EXPECT_DOUBLE_EQ(r.host_busy, 0.4);
  EXPECT_EQ(r.cpu_model, "AMD EPYC");
  EXPECT_EQ(r.cpus_online, 2);
  EXPECT_EQ(r.packages.at("gunicorn"), "20.1.0");
  EXPECT_FALSE(r.flagged);
}

TEST(LiveRecord, MissingOrBadFieldIsNamedWithFileAndLine) {
  auto j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  j["cpu"]["groups"]["app"].erase("per_request_us");
  EXPECT_EQ(message_of([&] { record_from_live_json(j, "runs.jsonl:3"); }),
            "runs.jsonl:3: cpu.groups.app.per_request_us: missing (calibration needs it)");
  j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  j["cpu"]["groups"]["kernel_system"]["per_request_us"] = -60.9;
  EXPECT_NE(message_of([&] {
              record_from_live_json(j, "runs.jsonl:4");
            }).find("runs.jsonl:4: cpu.groups.kernel_system.per_request_us: must be a number"),
            std::string::npos);
  j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  j.erase("config");
  EXPECT_EQ(message_of([&] { record_from_live_json(j, "x:1"); }),
            "x:1: config: missing (calibration needs it)");
}

// The runner's --db-mode names, read in the one place that knows both
// vocabularies: "connect" is the simulator's connect_per_request, "pool" its
// app_pool, anything else names the field.
TEST(LiveRecord, DbModeIsTheRunnersNameAndAnUnknownOneIsNamed) {
  auto j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  EXPECT_EQ(record_from_live_json(j, "x:1").db_access(), DbAccess::kConnectPerRequest);
  j["config"]["db_mode"] = "pool";
  EXPECT_EQ(record_from_live_json(j, "x:1").db_access(), DbAccess::kAppPool);
  j["config"]["db_mode"] = "app_pool";
  EXPECT_EQ(message_of([&] { record_from_live_json(j, "x:1"); }),
            "x:1: config.db_mode: must be connect or pool, not app_pool");
}

TEST(LiveRecord, FlagsAreKeptWithTheirReason) {
  auto j = testing::live_record("run-a", "gunicorn-flask", 10, 7, 1500);
  j["flags"]["foreign_cpu_high"] = true;
  const CalibrationRecord r = record_from_live_json(j, "x:1");
  EXPECT_TRUE(r.flagged);
  EXPECT_EQ(r.flag_reason, "foreign_cpu_high");
  // A host whose speed moved across the window is flagged too; the reasons add up.
  j["flags"]["speed_moved"] = true;
  EXPECT_EQ(record_from_live_json(j, "x:1").flag_reason, "foreign_cpu_high, speed_moved");
  j["flags"]["foreign_cpu_high"] = false;
  EXPECT_EQ(record_from_live_json(j, "x:1").flag_reason, "speed_moved");
}

TEST(RecordFile, ReadsEveryLineSkippingBlankOnesAndNamesLinesInErrors) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string path =
      (dir / ("stacksim-cal-records-" + std::to_string(::getpid()) + ".jsonl")).string();
  {
    std::ofstream out(path);
    out << testing::live_record("a", "gunicorn-flask", 1, 1, 1500).dump() << "\n\n"
        << testing::live_record("b", "gunicorn-flask", 10, 5, 1400).dump() << "\n";
  }
  const auto records = read_record_file(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].id, "b");
  EXPECT_EQ(records[1].source, path + ":3");
  { std::ofstream(path, std::ios::app) << "{not json\n"; }
  EXPECT_NE(message_of([&] { read_record_file(path); }).find(path + ":4: malformed JSON"),
            std::string::npos);
  std::filesystem::remove(path);
  EXPECT_NE(message_of([&] { read_record_file(path); }).find("no such records file"),
            std::string::npos);
}

}  // namespace
}  // namespace stacksim::calibrate

namespace stacksim::calibrate {
namespace {

// The fit's names read both ways, and an unknown one is refused with the
// accepted names and the field it came from.
TEST(FitNames, RegressorsAndEvaluationPointsParseBackFromTheirNames) {
  for (Regressor r : {Regressor::kNone, Regressor::kSessions, Regressor::kThroughput,
                      Regressor::kInverseThroughput, Regressor::kLoad})
    EXPECT_EQ(parse_regressor(to_string(r), "--regressor"), r) << to_string(r);
  for (EvaluateAt e : {EvaluateAt::kMean, EvaluateAt::kMax, EvaluateAt::kZero})
    EXPECT_EQ(parse_evaluate_at(to_string(e), "--evaluate-at"), e) << to_string(e);
  EXPECT_EQ(message_of([] { parse_regressor("loud", "--regressor"); }),
            "--regressor: must be one of none, sessions, throughput, inverse_throughput, load, "
            "got \"loud\"");
  EXPECT_EQ(message_of([] { parse_evaluate_at("median", "provenance.evaluate_at"); }),
            "provenance.evaluate_at: must be one of mean, max, zero, got \"median\"");
}

TEST(FitNames, EveryGroupHasANameOfItsOwn) {
  std::set<std::string> seen;
  for (Group g : {Group::kClient, Group::kNginx, Group::kApp, Group::kPgbouncer, Group::kPostgres,
                  Group::kKernel})
    EXPECT_TRUE(seen.insert(to_string(g)).second) << to_string(g);
  EXPECT_EQ(seen.count("?"), 0u);
}

}  // namespace
}  // namespace stacksim::calibrate
