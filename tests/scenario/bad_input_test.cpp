// Every class of bad input is one InputError whose message names the file and
// the JSON path of the field (or `--set KEY`), never another exception. Each
// case starts from a shipped file, breaks one thing, writes it to a temporary
// file and loads it the way the CLI does.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "sim/scenario/scenario_io.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using nlohmann::json;

const std::string kRoot = STACKSIM_SOURCE_DIR;

json read_shipped(const std::string& rel) {
  std::ifstream in(kRoot + "/" + rel);
  return json::parse(in);
}

std::string write_temp(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "stacksim_bad_input_" + name + ".json";
  std::ofstream(path) << text;
  return path;
}

using stacksim::testing::input_error_of;

struct Case {
  std::string name;
  bool is_model;  // else a scenario, checked against the shipped model too
  std::function<void(json&)> mutate;
  std::vector<std::string> expected;  // substrings of the message, besides the file
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {"unknown_top_level_field",
       true,
       [](json& j) { j["colour"] = "blue"; },
       {"colour: unknown field"}},
      {"unknown_nested_field",
       true,
       [](json& j) { j["stacks"]["gunicorn-flask"]["bursts"]["pre"]["median_us"] = 3; },
       {"stacks.gunicorn-flask.bursts.pre.median_us: unknown field"}},
      {"wrong_type",
       true,
       [](json& j) { j["stacks"]["gunicorn-flask"]["bursts"]["pre"]["mean_us"] = "abc"; },
       {"stacks.gunicorn-flask.bursts.pre.mean_us: must be a number", "got \"abc\""}},
      {"negative_mean",
       true,
       [](json& j) { j["postgres"]["query"]["mean_us"] = -1.5; },
       {"postgres.query.mean_us: must be a number", "got -1.5"}},
      {"unknown_shape",
       true,
       [](json& j) { j["kernel"]["per_hop"]["shape"] = "weibull"; },
       {"kernel.per_hop.shape: must be one of", "got \"weibull\""}},
      {"gamma_without_cv",
       true,
       [](json& j) { j["client"]["send"].erase("cv"); },
       {"client.send.cv: required field is missing"}},
      {"missing_field",
       true,
       [](json& j) { j["pgbouncer"].erase("close"); },
       {"pgbouncer.close: required field is missing"}},
      {"zero_cores",
       true,
       [](json& j) { j["host"]["cores"] = 0; },
       {"host.cores: must be an integer"}},
      {"sync_with_concurrency_2",
       true,
       [](json& j) { j["stacks"]["uwsgi-flask"]["max_concurrency"] = 2; },
       {"stacks.uwsgi-flask.max_concurrency: must be 1 for a sync stack"}},
      {"unknown_worker_type",
       true,
       [](json& j) { j["stacks"]["tornado"]["type"] = "thread"; },
       {"stacks.tornado.type: must be one of sync|greenlet|coroutine"}},
      {"unknown_accept_policy",
       true,
       [](json& j) { j["stacks"]["tornado"]["accept_policy"] = "fifo"; },
       {"stacks.tornado.accept_policy: must be one of"}},
      {"bad_provenance_kind",
       true,
       [](json& j) { j["provenance"]["kind"] = "guess"; },
       {"provenance.kind: must be one of estimate|calibrated"}},
      {"wrong_schema",
       true,
       [](json& j) { j["schema"] = "stacksim.scenario"; },
       {"schema: must be \"stacksim.model\""}},
      {"bad_stack_name",
       true,
       [](json& j) { j["stacks"]["two words"] = j["stacks"]["aiohttp"]; },
       {"stacks: must be a name", "\"two words\""}},

      {"zero_clients",
       false,
       [](json& j) { j["clients"] = 0; },
       {"clients: must be an integer in [1, 1000000], got 0"}},
      {"scenario_unknown_field",
       false,
       [](json& j) { j["client"] = 100; },
       {"client: unknown field"}},
      {"scenario_unknown_nested_field",
       false,
       [](json& j) { j["workers"]["asynk"] = 6; },
       {"workers.asynk: unknown field"}},
      {"scenario_wrong_type",
       false,
       [](json& j) { j["delay_ms"] = "20"; },
       {"delay_ms: must be a number", "got \"20\""}},
      {"negative_delay",
       false,
       [](json& j) { j["delay_ms"] = -20; },
       {"delay_ms: must be a number"}},
      {"fractional_count",
       false,
       [](json& j) { j["sessions"] = 19.5; },
       {"sessions: must be an integer"}},
      {"unknown_stack",
       false,
       [](json& j) {
         j["stacks"] = {"gunicorn-flask", "gunicorn-django"};
       },
       {"stacks[1]: stack \"gunicorn-django\" is not in the model", "aiohttp, "}},
      {"unknown_baseline",
       false,
       [](json& j) { j["baseline"] = "cherrypy"; },
       {"baseline: stack \"cherrypy\" is not in the model"}},
      {"duplicate_stack",
       false,
       [](json& j) {
         j["stacks"] = {"aiohttp", "aiohttp"};
       },
       {"stacks[1]: names stack \"aiohttp\" twice"}},
      {"unknown_db_access",
       false,
       [](json& j) { j["db_access"] = "pool"; },
       {"db_access: must be one of connect_per_request|app_pool, got \"pool\""}},
      {"open_load_without_rate",
       false,
       [](json& j) { j["load"] = "open"; },
       {"rate_rps: must be > 0 when load is \"open\""}},
      {"bad_sweep_value",
       false,
       [](json& j) {
         j["sweep"] = {{"clients", {10, -1}}};
       },
       {"sweep.clients[1]: must be an integer"}},
      {"unknown_sweep_knob",
       false,
       [](json& j) {
         j["sweep"] = {{"threads", {1, 2}}};
       },
       {"sweep.threads: unknown knob"}},
      {"empty_sweep_list",
       false,
       [](json& j) {
         j["sweep"] = {{"clients", json::array()}};
       },
       {"sweep.clients: must be a non-empty array"}},
      {"scenario_wrong_version",
       false,
       [](json& j) { j["version"] = 2; },
       {"version: must be an integer in [1, 1], got 2"}},
  };
  return all;
}

TEST(BadInput, EachBrokenFieldIsOneInputErrorNamingFileAndPath) {
  const Model model = load_model(kRoot + "/models/estimates.json");
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.name);
    json j = read_shipped(c.is_model ? "models/estimates.json" : "scenarios/article.json");
    c.mutate(j);
    const std::string path = write_temp(c.name, j.dump(2));
    const std::string msg = input_error_of([&] {
      if (c.is_model) {
        load_model(path);
      } else {
        check_against_model(load_scenario(path), model);
      }
    });
    EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;  // the file comes first
    for (const auto& part : c.expected) EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(BadInput, MalformedJsonNamesFileLineAndColumn) {
  // Line 3 breaks off inside an object.
  const std::string path =
      write_temp("malformed", "{\n  \"schema\": \"stacksim.model\",\n  \"version\": }\n");
  const std::string msg = input_error_of([&] { load_model(path); });
  EXPECT_EQ(msg.rfind(path + ": malformed JSON: ", 0), 0u) << msg;
  EXPECT_NE(msg.find("line 3, column"), std::string::npos) << msg;
}

TEST(BadInput, NumberBeyondDoubleRangeIsMalformedJsonNotACrash) {
  // nlohmann throws out_of_range (not parse_error) for 1e400; fuzz_model found it.
  const std::string path =
      write_temp("overflow", R"({"schema": "stacksim.model", "version": 1e400})");
  const std::string msg = input_error_of([&] { load_model(path); });
  EXPECT_EQ(msg, path + ": malformed JSON: number overflow parsing '1e400'");
}

TEST(BadInput, EmptyFileIsMalformedJson) {
  const std::string path = write_temp("empty", "");
  const std::string msg = input_error_of([&] { load_scenario(path); });
  EXPECT_EQ(msg.rfind(path + ": malformed JSON", 0), 0u) << msg;
}

TEST(BadInput, RepeatedKeyInOneObjectIsRejected) {
  // nlohmann::json would keep the second "clients" silently.
  const std::string path = write_temp(
      "repeated",
      R"({"schema": "stacksim.scenario", "version": 1, "name": "x", "clients": 1, "clients": 2})");
  const std::string msg = input_error_of([&] { load_scenario(path); });
  EXPECT_NE(msg.find(path + ": malformed JSON: field \"clients\" appears twice"), std::string::npos)
      << msg;
}

TEST(BadInput, NestingDeeperThan64LevelsIsRejectedWhileParsing) {
  // 64 levels are fine for the parser (the reader then rejects the content);
  // the 65th opening bracket stops the parse.
  const std::string ok = write_temp("deep64", std::string(64, '[') + std::string(64, ']'));
  EXPECT_EQ(input_error_of([&] { load_model(ok); }), ok + ": must be an object, got an array");
  const std::string deep = write_temp("deep65", std::string(65, '[') + std::string(65, ']'));
  EXPECT_EQ(input_error_of([&] { load_model(deep); }),
            deep + ": malformed JSON: nested deeper than 64 levels");
}

TEST(BadInput, MissingFileOrDirectoryIsNamed) {
  const std::string missing = kRoot + "/models/no-such-model.json";
  EXPECT_EQ(input_error_of([&] { load_model(missing); }),
            missing + ": cannot open file: no such file");
  const std::string dir = kRoot + "/scenarios";
  EXPECT_EQ(input_error_of([&] { load_scenario(dir); }),
            dir + ": cannot open file: not a regular file");
}

TEST(BadInput, NotAnObjectAtTheTop) {
  EXPECT_EQ(input_error_of([] { parse_model(json::array(), "m.json"); }),
            "m.json: must be an object, got an array");
  EXPECT_EQ(input_error_of([] { parse_scenario(json(3), "s.json"); }),
            "s.json: must be an object, got 3");
}

TEST(BadInput, SetWithUnknownKeyNamesTheKeyAndListsTheKnobs) {
  Scenario s;
  const std::string msg = input_error_of([&] { apply_setting(s, "clientz", "10"); });
  EXPECT_EQ(msg.rfind("--set clientz: unknown knob (known: cores, workers, ", 0), 0u) << msg;
}

TEST(BadInput, SetWithBadValueNamesTheKeyAndTheValue) {
  struct BadSetting {
    const char* key;
    const char* value;
    const char* error;
  };
  const BadSetting cases[] = {
      {"clients", "abc", "--set clients: must be an integer in [1, 1000000], got \"abc\""},
      {"clients", "10x", "--set clients: must be an integer in [1, 1000000], got \"10x\""},
      {"clients", "", "--set clients: must be an integer in [1, 1000000], got \"\""},
      {"delay_ms", "nan", "--set delay_ms: must be a number in [0, 1e+06], got \"nan\""},
      {"load", "bursty", "--set load: must be one of closed|open, got \"bursty\""},
      {"nginx", "maybe", "--set nginx: must be true or false, got \"maybe\""},
      {"seed", "-1", "--set seed: must be an integer in [0, 2^64-1], got \"-1\""},
  };
  Scenario s;
  for (const BadSetting& c : cases)
    EXPECT_EQ(input_error_of([&] { apply_setting(s, c.key, c.value); }), c.error);
  EXPECT_EQ(input_error_of([&] { apply_setting(s, "clients"); }),
            "--set clients: expected KEY=VALUE");
  // A failed --set leaves the scenario as it was.
  EXPECT_EQ(s.clients, Scenario{}.clients);
}

}  // namespace
}  // namespace stacksim
