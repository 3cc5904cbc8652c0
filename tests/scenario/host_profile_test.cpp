// Host profiles and carrying a model between hosts. The rule under test:
// every host term of the model is multiplied by the ratio of the probed
// terms of the target and of the machine the model was fitted on, so a
// profile identical to the fitted one changes nothing, and
//   app CPU      x python_rate(fitted) / python_rate(target)
//   other CPU    x native_rate(fitted) / native_rate(target)
//   wake-up      x latency(target) / latency(fitted)
//   idle terms   x idle_penalty(target) / idle_penalty(fitted)
#include "sim/scenario/host_profile.hpp"

#include <gtest/gtest.h>

#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using nlohmann::json;

json profile(double native, double python, double wake_us, double idle) {
  return {
      {"schema", "stacksim.host-profile"},
      {"version", 1},
      {"host", {{"cpu_model", "Test CPU"}, {"cpus", 2}, {"kernel", "6.1"}, {"date", "2026-12-06"}}},
      {"terms",
       {{"native_rate", native},
        {"python_rate", python},
        {"wakeup_latency_us", wake_us},
        {"idle_penalty", idle}}}};
}

Model shipped_with_profile(const json& fitted_on) {
  Model model = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/this-machine.json");
  model.host.profile = host_profile_from_json(fitted_on, "fitted.json");
  return model;
}

TEST(HostProfile, ReadsBackWhatItWrites) {
  const HostProfile p = host_profile_from_json(profile(0.2, 0.1, 40, 0.05), "p.json");
  EXPECT_EQ(p.cpus, 2);
  EXPECT_DOUBLE_EQ(p.terms.python_rate, 0.1);
  EXPECT_EQ(to_json(p), profile(0.2, 0.1, 40, 0.05));
}

TEST(HostProfile, MissingTermIsNamed) {
  json j = profile(0.2, 0.1, 40, 0.05);
  j["terms"].erase("wakeup_latency_us");
  EXPECT_TRUE(says(input_error_of([&] { host_profile_from_json(j, "p.json"); }),
                   "p.json: terms.wakeup_latency_us: missing"));
}

TEST(HostProfile, OtherVersionIsRefusedWithWhatToDo) {
  json j = profile(0.2, 0.1, 40, 0.05);
  j["version"] = 2;
  const std::string what = input_error_of([&] { host_profile_from_json(j, "p.json"); });
  EXPECT_TRUE(says(what, "p.json: version"));
  EXPECT_TRUE(says(what, "stacksim host probe"));
}

TEST(HostProfile, ModelCarriesItsProfileThroughItsFile) {
  const Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.05));
  const Model back = parse_model(to_json(m), "back.json");
  ASSERT_TRUE(back.host.profile.has_value());
  EXPECT_EQ(to_json(*back.host.profile), to_json(*m.host.profile));
}

TEST(Retarget, SameProfileChangesNoDemand) {
  const json p = profile(0.2, 0.1, 40, 0.05);
  const Model m = shipped_with_profile(p);
  const Model r = retarget(m, host_profile_from_json(p, "same.json"));
  EXPECT_EQ(r.host.wakeup_latency_ns, m.host.wakeup_latency_ns);
  EXPECT_DOUBLE_EQ(r.stacks.at("gunicorn-flask").pre.mean(),
                   m.stacks.at("gunicorn-flask").pre.mean());
  EXPECT_DOUBLE_EQ(r.pgbouncer.query.mean(), m.pgbouncer.query.mean());
  EXPECT_DOUBLE_EQ(r.stacks.at("aiohttp").load.idle_inflation,
                   m.stacks.at("aiohttp").load.idle_inflation);
}

TEST(Retarget, EachTermMovesByItsOwnRatio) {
  const Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.10));
  // Target: C code 2x as fast, Python 1.5x, wake-ups 4x quicker, idle penalty halved.
  const Model r = retarget(m, host_profile_from_json(profile(0.4, 0.15, 10, 0.05), "t.json"));
  const StackModel& a = m.stacks.at("gunicorn-flask");
  const StackModel& b = r.stacks.at("gunicorn-flask");
  EXPECT_NEAR(b.pre.mean(), a.pre.mean() / 1.5, 1e-9 * a.pre.mean());
  EXPECT_DOUBLE_EQ(b.pre.cv(), a.pre.cv());
  EXPECT_NEAR(r.postgres.query.mean(), m.postgres.query.mean() / 2, 1e-9 * m.postgres.query.mean());
  EXPECT_NEAR(r.kernel.per_hop.mean(), m.kernel.per_hop.mean() / 2, 1e-9);
  EXPECT_NEAR(b.load.idle_inflation, a.load.idle_inflation * 0.5, 1e-12);
  // cold cost: CPU (x 1/1.5) and idle (x 0.5)
  EXPECT_NEAR(b.load.cold_ns_per_ms, a.load.cold_ns_per_ms / 1.5 * 0.5, 1e-9);
  EXPECT_NEAR(static_cast<double>(r.host.wakeup_latency_ns),
              static_cast<double>(m.host.wakeup_latency_ns) / 4, 1.0);
  EXPECT_DOUBLE_EQ(r.host.imbalance, m.host.imbalance);  // not probed: kept
  ASSERT_TRUE(r.host.profile.has_value());
  EXPECT_EQ(r.host.profile->source, "t.json");
  EXPECT_TRUE(r.provenance.contains("retarget"));
}

TEST(Retarget, IdlePenaltiesBothNearZeroCarryNoRatio) {
  // 0.5% and 1%: inside the probe's spread, so the idle terms stay.
  const Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.005));
  const Model r = retarget(m, host_profile_from_json(profile(0.2, 0.1, 40, 0.01), "t.json"));
  EXPECT_DOUBLE_EQ(r.stacks.at("aiohttp").load.idle_inflation,
                   m.stacks.at("aiohttp").load.idle_inflation);
}

TEST(Retarget, ModelWithoutProfileIsRefusedNamingTheField) {
  Model m = load_model(std::string(STACKSIM_SOURCE_DIR) + "/models/estimates.json");
  m.host.profile.reset();
  EXPECT_TRUE(says(input_error_of([&] {
                     retarget(m, host_profile_from_json(profile(0.2, 0.1, 40, 0.05), "t.json"));
                   }),
                   "host.profile"));
}

}  // namespace
}  // namespace stacksim
