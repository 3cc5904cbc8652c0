// `--set KEY=VALUE` reaches exactly the field it names, for every knob, and
// the same knobs drive a scenario file's sweep.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "common/input_error.hpp"
#include "sim/scenario/scenario_io.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using nlohmann::json;

struct KnobCase {
  std::string key;
  std::string value;
  std::function<bool(const Scenario&)> took;
};

const std::vector<KnobCase>& knob_cases() {
  static const std::vector<KnobCase> all{
      {"cores", "6", [](const Scenario& s) { return s.cores == 6; }},
      {"workers", "7",
       [](const Scenario& s) {
         return s.workers.sync == 7 && s.workers.greenlet == 7 && s.workers.coroutine == 7;
       }},
      {"workers.sync", "19",
       [](const Scenario& s) { return s.workers.sync == 19 && s.workers.greenlet == 1; }},
      {"workers.greenlet", "5",
       [](const Scenario& s) { return s.workers.greenlet == 5 && s.workers.coroutine == 1; }},
      {"workers.coroutine", "6",
       [](const Scenario& s) { return s.workers.coroutine == 6 && s.workers.sync == 1; }},
      {"clients", "400", [](const Scenario& s) { return s.clients == 400; }},
      {"sessions", "19", [](const Scenario& s) { return s.sessions == 19; }},
      {"delay_ms", "12.5", [](const Scenario& s) { return s.delay_ms == 12.5; }},
      {"db_access", "app_pool",
       [](const Scenario& s) { return s.db_access == DbAccess::kAppPool; }},
      {"app_pool_size", "8", [](const Scenario& s) { return s.app_pool_size == 8; }},
      {"load", "open", [](const Scenario& s) { return s.load == LoadType::kOpen; }},
      {"rate_rps", "2500", [](const Scenario& s) { return s.rate_rps == 2500.0; }},
      {"requests", "10000000000", [](const Scenario& s) { return s.requests == 10'000'000'000; }},
      {"warmup_requests", "0", [](const Scenario& s) { return s.warmup_requests == 0; }},
      {"replications", "30", [](const Scenario& s) { return s.replications == 30; }},
      {"seed", "18446744073709551615",
       [](const Scenario& s) { return s.seed == 18446744073709551615ULL; }},
      {"nginx", "false", [](const Scenario& s) { return !s.nginx; }},
      {"pgbouncer", "false", [](const Scenario& s) { return !s.pgbouncer; }},
      {"nginx_workers", "3", [](const Scenario& s) { return s.nginx_workers == 3; }},
      {"backlog", "128", [](const Scenario& s) { return s.backlog == 128; }},
      {"syn_retry_ms", "3000", [](const Scenario& s) { return s.syn_retry_ms == 3000.0; }},
      {"baseline", "uwsgi-flask", [](const Scenario& s) { return s.baseline == "uwsgi-flask"; }},
  };
  return all;
}

TEST(ApplySetting, EveryKnobSetsItsFieldAndNoOther) {
  const json untouched = to_json(Scenario{});
  for (const auto& c : knob_cases()) {
    SCOPED_TRACE(c.key);
    Scenario s;
    ASSERT_FALSE(c.took(s)) << "the default already has the value; the case proves nothing";
    apply_setting(s, c.key + "=" + c.value);
    EXPECT_TRUE(c.took(s));
    // Only the named field moved: the JSON differs from the default in the
    // field itself ("workers" for the per-type knobs).
    const json after = to_json(s);
    const std::string field = c.key.substr(0, c.key.find('.'));
    for (const auto& item : after.items()) {
      if (item.key() == field) continue;
      EXPECT_EQ(item.value(), untouched.at(item.key())) << item.key();
    }
  }
}

TEST(ApplySetting, TheTableAboveCoversEveryKnob) {
  std::set<std::string> tested;
  for (const auto& c : knob_cases()) tested.insert(c.key);
  for (const auto& name : knob_names()) EXPECT_EQ(tested.count(name), 1u) << name;
  EXPECT_EQ(tested.size(), knob_names().size());
}

TEST(ApplySetting, RangesAreInclusiveAtBothEnds) {
  Scenario s;
  apply_setting(s, "clients", "1");
  apply_setting(s, "clients", "1000000");
  EXPECT_EQ(s.clients, 1'000'000);
  EXPECT_THROW(apply_setting(s, "clients", "1000001"), InputError);
  EXPECT_THROW(apply_setting(s, "clients", "0"), InputError);
  apply_setting(s, "delay_ms", "0");
  EXPECT_EQ(s.delay_ms, 0.0);
  EXPECT_THROW(apply_setting(s, "delay_ms", "-0.001"), InputError);
  EXPECT_THROW(apply_setting(s, "cores", "2.0"), InputError);  // counts are integers
}

TEST(ApplySetting, OpenLoadNeedsARateOnlyWhenCheckedAtTheEnd) {
  // --set load=open --set rate_rps=100 must work in that order, so the
  // cross-field rule runs in check_scenario after all overrides.
  Scenario s;
  apply_setting(s, "load=open");
  EXPECT_THROW(check_scenario(s), InputError);
  apply_setting(s, "rate_rps=100");
  EXPECT_NO_THROW(check_scenario(s));
}

TEST(ApplySetting, NoPgbouncerNeedsThePoolInsideTheApp) {
  Scenario s;
  apply_setting(s, "pgbouncer=false");
  EXPECT_TRUE(says(input_error_of([&] { check_scenario(s); }),
                   "pgbouncer: false needs db_access \"app_pool\""));
  apply_setting(s, "db_access=app_pool");
  EXPECT_NO_THROW(check_scenario(s));
}

TEST(ApplySetting, SweepKeepsTheValuesAsTextInKeyOrderAndRoundTrips) {
  // nlohmann::json orders object keys, so the sweep comes back sorted by knob.
  const json j = {{"schema", "stacksim.scenario"},
                  {"version", 1},
                  {"name", "sweep"},
                  {"sweep",
                   {{"clients", {10, 100, 400}},
                    {"delay_ms", {0, 20.5}},
                    {"db_access", {"connect_per_request", "app_pool"}},
                    {"nginx", {true, false}}}}};
  const Scenario s = parse_scenario(j, "sweep.json");
  using Sweep = decltype(s.sweep);
  EXPECT_EQ(s.sweep, (Sweep{{"clients", {"10", "100", "400"}},
                            {"db_access", {"connect_per_request", "app_pool"}},
                            {"delay_ms", {"0", "20.5"}},
                            {"nginx", {"true", "false"}}}));
  // Written back, numbers and booleans are JSON numbers and booleans again.
  EXPECT_EQ(to_json(s).at("sweep"), j.at("sweep"));
  // Each value applies as --set would.
  for (const auto& [key, values] : s.sweep) {
    for (const auto& v : values) {
      Scenario copy = s;
      EXPECT_NO_THROW(apply_setting(copy, key, v)) << key << "=" << v;
    }
  }
}

TEST(ApplySetting, WorkersInAFileMayBeOneCountForAllTypes) {
  const Scenario s = parse_scenario(
      {{"schema", "stacksim.scenario"}, {"version", 1}, {"name", "w"}, {"workers", 4}}, "w.json");
  EXPECT_EQ(s.workers.sync, 4);
  EXPECT_EQ(s.workers.greenlet, 4);
  EXPECT_EQ(s.workers.coroutine, 4);
}

}  // namespace
}  // namespace stacksim
