// A published table read strictly: the CSV reader, the rows tied to the
// model's stacks, each row's configuration, and every kind of bad input as
// one message naming the row and the field.
#include "calibrate/published_table.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/csv.hpp"
#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/scratch_dir.hpp"

namespace stacksim::calibrate {
namespace {

namespace fs = std::filesystem;
const std::string kRoot = STACKSIM_SOURCE_DIR;

using stacksim::testing::input_error_of;
using stacksim::testing::says;

TEST(Csv, ReadsQuotedFieldsAndSkipsBlankLines) {
  const CsvTable t =
      parse_csv("a,b,c\r\n1,\"x, \"\"y\"\"\",3\n\n4,5,\"multi\nline\"\n7,8,9", "t.csv");
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(t.rows[0][1], "x, \"y\"");
  EXPECT_EQ(t.rows[0][2], "3");
  EXPECT_EQ(t.rows[1][2], "multi\nline");
  EXPECT_EQ(t.lines, (std::vector<int>{2, 4, 6}));
  EXPECT_EQ(t.column("c"), 2);
  EXPECT_EQ(t.column("d"), -1);
}

TEST(Csv, NamesTheLineOfEveryError) {
  EXPECT_EQ(input_error_of([] { parse_csv("a,b\n1,2\n3\n", "t.csv"); }),
            "t.csv: line 3: 1 fields, the header has 2");
  EXPECT_EQ(input_error_of([] { parse_csv("a,b\n1,\"2\n", "t.csv"); }),
            "t.csv: line 2: a quoted field is not closed");
  EXPECT_EQ(input_error_of([] { parse_csv("a,a\n", "t.csv"); }),
            "t.csv: line 1: column \"a\" appears twice");
  EXPECT_EQ(input_error_of([] { parse_csv("\n\n", "t.csv"); }),
            "t.csv: no header line (the file is empty)");
}

class PublishedTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(kRoot + "/models/estimates.json");
    scenario_ = load_scenario(kRoot + "/scenarios/article.json");
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  std::string read_error(const std::string& csv, const std::string& map = "") {
    const std::string path = write("t.csv", csv);
    const std::string map_path = map.empty() ? "" : write("m.json", map);
    return input_error_of([&] { read_published_table(path, map_path, model_, scenario_); });
  }
  Model model_;
  Scenario scenario_;
  stacksim::testing::ScratchDir scratch_{"stacksim-table"};
  const fs::path dir_ = scratch_.path();
};

TEST_F(PublishedTableTest, GrinbergsTableMapsEveryRowByItsNames) {
  const PublishedTable t = read_published_table(
      kRoot + "/calibrate/published/grinberg-2020-my-results.csv", "", model_, scenario_);
  ASSERT_EQ(t.rows.size(), 21u);
  EXPECT_EQ(t.kind, ThroughputKind::kRelative);
  EXPECT_EQ(t.rows[0].label, "Falcon/Meinheld");
  EXPECT_EQ(t.rows[0].stack, "meinheld-falcon");
  EXPECT_EQ(t.rows[3].stack, "aiohttp");
  EXPECT_EQ(t.rows[4].stack, "gunicorn-gevent-falcon");
  ASSERT_NE(t.baseline_row(), nullptr);
  EXPECT_EQ(t.baseline_row()->label, "Flask/Gunicorn");
  EXPECT_DOUBLE_EQ(*t.baseline_row()->figures.throughput, 1.0);
  EXPECT_DOUBLE_EQ(*t.rows[0].figures.p99_ms, 163);
  EXPECT_EQ(t.rows[0].scenario.stacks, std::vector<std::string>{"meinheld-falcon"});
  EXPECT_EQ(t.rows[0].scenario.workers.greenlet, 6);
  EXPECT_EQ(t.figure_count(), 21 * 4);
}

TEST_F(PublishedTableTest, PatersonsRowsTakeTheirWorkersAndTheMappingsSettings) {
  const PublishedTable t =
      read_published_table(kRoot + "/calibrate/published/paterson-2020.csv",
                           kRoot + "/calibrate/published/paterson-2020.map.json", model_,
                           load_scenario(kRoot + "/scenarios/original.json"));
  ASSERT_EQ(t.rows.size(), 12u);
  ASSERT_EQ(t.skipped.size(), 1u);
  EXPECT_EQ(t.skipped[0].first, "uWSGI over uwsgi/Bottle");
  EXPECT_EQ(t.kind, ThroughputKind::kAbsolute);
  const auto row = [&](const std::string& stack) {
    for (const PublishedRow& r : t.rows)
      if (r.stack == stack) return r;
    ADD_FAILURE() << stack;
    return PublishedRow{};
  };
  EXPECT_EQ(row("gunicorn-flask").scenario.workers.sync, 14);
  EXPECT_EQ(row("gunicorn-gevent-flask").scenario.workers.greenlet, 12);
  EXPECT_EQ(row("aiohttp").scenario.app_pool_size, 10);
  EXPECT_EQ(row("uwsgi-flask").scenario.app_pool_size, 4);
  EXPECT_DOUBLE_EQ(*row("uvicorn-starlette").figures.throughput, 4952);
}

TEST_F(PublishedTableTest, AnUnknownStackNamesTheRowAndTheModelsStacks) {
  const std::string e =
      read_error("framework,server,throughput_relative\nFlask,Gunicorn,1\nFoo,Bar,2\n");
  EXPECT_TRUE(says(e, "t.csv: line 3 (Foo/Bar): no stack of the model matches"));
  EXPECT_TRUE(says(e, "--map"));
  EXPECT_TRUE(says(e, "the model's stacks: aiohttp, daphne-starlette"));
  const std::string mapped = read_error(
      "framework,server,throughput_relative\nFlask,Gunicorn,1\nFoo,Bar,2\n",
      R"({"schema": "stacksim.table-map", "version": 1, "rows": {"Foo/Bar": {"stack": "nope"}}})");
  EXPECT_TRUE(says(mapped, "line 3 (Foo/Bar): stack \"nope\" is not in the model"));
}

TEST_F(PublishedTableTest, RelativeThroughputNeedsTheBaselineRow) {
  const std::string e = read_error("framework,server,throughput_relative\nFalcon,uWSGI,1.04\n");
  EXPECT_TRUE(says(e, "no row gives the baseline's (gunicorn-flask"));
}

TEST_F(PublishedTableTest, ASessionPeakAboveWhatTheConfigurationAllowsIsAContradiction) {
  const std::string e =
      read_error("framework,server,throughput_relative,db_sessions_peak\nFlask,Gunicorn,1,25\n");
  EXPECT_TRUE(says(e, "line 2 (Flask/Gunicorn).db_sessions_peak: 25 is above the 19 sessions"));
  const std::string async = read_error(
      "framework,server,throughput_relative,db_sessions_peak\nFlask,Gunicorn,1,19\n"
      "Aiohttp,Aiohttp,1.3,101\n");
  EXPECT_TRUE(says(async, "line 3 (Aiohttp/Aiohttp).db_sessions_peak: 101 is above the 100"));
}

TEST_F(PublishedTableTest, BadCellsTypesAndMappingsAreNamed) {
  EXPECT_TRUE(
      says(read_error("framework,server,throughput_relative,p50_ms\nFlask,Gunicorn,1,abc\n"),
           "line 2 (Flask/Gunicorn).p50_ms: must be a number"));
  EXPECT_TRUE(
      says(read_error("framework,server,type,throughput_relative\nFlask,Gunicorn,coroutine,1\n"),
           "type: \"coroutine\" but the model's gunicorn-flask is sync"));
  EXPECT_TRUE(says(read_error("framework,server,throughput_relative,rps\nFlask,Gunicorn,1,5\n"),
                   "gives both relative and absolute throughput"));
  EXPECT_TRUE(says(read_error("name,throughput_relative\nx,1\n"), "needs a \"stack\" column"));
  const std::string bad_set = read_error(
      "framework,server,throughput_relative\nFlask,Gunicorn,1\n",
      R"({"schema": "stacksim.table-map", "version": 1, "rows": {"Flask/Gunicorn": {"stack": "gunicorn-flask", "set": {"clientz": "5"}}}})");
  EXPECT_TRUE(says(bad_set, "line 2 (Flask/Gunicorn): the mapping's setting:"));
  const std::string both = read_error(
      "framework,server,throughput_relative\nFlask,Gunicorn,1\n",
      R"({"schema": "stacksim.table-map", "version": 1, "rows": {"Flask/Gunicorn": {"stack": "gunicorn-flask", "skip": "x"}}})");
  EXPECT_TRUE(says(both, "rows.Flask/Gunicorn: needs exactly one of"));
}

TEST_F(PublishedTableTest, TwoRowsOfOneStackAreRefused) {
  const std::string e =
      read_error("framework,server,throughput_relative\nFlask,Gunicorn,1\nFlask,Gunicorn,1.1\n");
  EXPECT_TRUE(says(e, "line 3 (Flask/Gunicorn): maps to stack gunicorn-flask like line 2"));
}

}  // namespace
}  // namespace stacksim::calibrate
