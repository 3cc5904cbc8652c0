// Host profiles and carrying a model between hosts. The rule under test:
// every host term of the model is multiplied by the ratio of the probed
// terms of the target and of the machine the model was fitted on, so a
// profile identical to the fitted one changes nothing, and
//   app CPU      x python_rate(fitted) / python_rate(target)
//   other CPU    x native_rate(fitted) / native_rate(target)
//   wake-up      x latency(target) / latency(fitted)
//   idle terms   x idle_penalty(target) / idle_penalty(fitted)
//                x g_target(C) / g_fitted(C) where both probed cross_core_idle
// and, across core counts, that the idle terms fitted at C0 cores are
// multiplied at C cores by g(C) / g(C0), g(C) = 1 + (1 - 1/C)(r - 1): on one
// core no idle wake-up crosses to another core, on C cores a share 1 - 1/C.
#include "sim/scenario/host_profile.hpp"

#include <gtest/gtest.h>

#include "common/input_error.hpp"
#include "sim/scenario/model_io.hpp"
#include "tests/support/input_error.hpp"
#include "tests/support/shipped_inputs.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using nlohmann::json;

json profile(double native, double python, double wake_us, double idle, double cross = 0) {
  json j = {
      {"schema", "stacksim.host-profile"},
      {"version", 1},
      {"host", {{"cpu_model", "Test CPU"}, {"cpus", 2}, {"kernel", "6.1"}, {"date", "2026-12-06"}}},
      {"terms",
       {{"native_rate", native},
        {"python_rate", python},
        {"wakeup_latency_us", wake_us},
        {"idle_penalty", idle}}}};
  if (cross > 0) j["terms"]["cross_core_idle"] = cross;
  return j;
}

Model shipped_with_profile(const json& fitted_on) {
  Model model = testing::shipped_model();
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

TEST(HostProfile, CrossCoreTermIsOptionalAndReadsBack) {
  EXPECT_DOUBLE_EQ(
      host_profile_from_json(profile(0.2, 0.1, 40, 0.05), "old.json").terms.cross_core_idle,
      0.0);  // a profile from before the term: not probed
  const HostProfile p = host_profile_from_json(profile(0.2, 0.1, 40, 0.05, 2.5), "p.json");
  EXPECT_DOUBLE_EQ(p.terms.cross_core_idle, 2.5);
  EXPECT_EQ(to_json(p), profile(0.2, 0.1, 40, 0.05, 2.5));
  json bad = profile(0.2, 0.1, 40, 0.05);
  bad["terms"]["cross_core_idle"] = -1;
  EXPECT_TRUE(says(input_error_of([&] { host_profile_from_json(bad, "p.json"); }),
                   "p.json: terms.cross_core_idle"));
}

TEST(CoreCount, CrossCoreFactorIsOneOnOneCoreAndTendsToTheTermWithMany) {
  EXPECT_DOUBLE_EQ(cross_core_idle_factor(2.5, 1), 1.0);
  EXPECT_DOUBLE_EQ(cross_core_idle_factor(2.5, 2), 1.75);  // half the wake-ups cross
  EXPECT_DOUBLE_EQ(cross_core_idle_factor(2.5, 4), 1.0 + 0.75 * 1.5);
  double last = 1.0;
  for (int c = 2; c <= 256; c *= 2) {
    const double g = cross_core_idle_factor(2.5, c);
    EXPECT_GT(g, last);
    EXPECT_LT(g, 2.5);
    last = g;
  }
  EXPECT_DOUBLE_EQ(cross_core_idle_factor(0.0, 16), 1.0);  // not probed
}

TEST(CoreCount, IdleTermsFittedAtOneCoreCarryToTwoByTheProbedTerm) {
  Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.05, 2.5));
  m.stacks.at("gunicorn-flask").load.idle_inflation = 1.2;
  m.kernel.load.idle_inflation = 3.0;
  m.postgres.load.cold_ns_per_ms = 500;
  m.host.cores = 1;
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 1), 1.0);  // where it was fitted
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 2), 1.75);
  m.host.cores = 2;
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 1), 1.0 / 1.75);
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 16), cross_core_idle_factor(2.5, 16) / 1.75);

  const StackModel& s = m.stacks.at("gunicorn-flask");
  const Model at_fit = as_seen_by(m, s, 2), at_one = as_seen_by(m, s, 1);
  EXPECT_DOUBLE_EQ(seen_stack(at_fit).load.idle_inflation, 1.2);
  EXPECT_NEAR(seen_stack(at_one).load.idle_inflation, 1.2 / 1.75, 1e-12);
  EXPECT_NEAR(at_one.kernel.load.idle_inflation, 3.0 / 1.75, 1e-12);
  ASSERT_GT(at_fit.postgres.load.cold_ns_per_ms, 0);
  EXPECT_NEAR(at_one.postgres.load.cold_ns_per_ms, at_fit.postgres.load.cold_ns_per_ms / 1.75,
              1e-9);
}

TEST(CoreCount, WithoutTheTermTheIdleTermsStayAsFitted) {
  Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.05));  // no cross_core_idle
  m.stacks.at("gunicorn-flask").load.idle_inflation = 1.2;
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 16), 1.0);
  m.host.profile.reset();  // no profile at all
  EXPECT_DOUBLE_EQ(idle_core_scale(m.host, 16), 1.0);
  const StackModel& s = m.stacks.at("gunicorn-flask");
  EXPECT_DOUBLE_EQ(seen_stack(as_seen_by(m, s, 16)).load.idle_inflation, s.load.idle_inflation);
}

TEST(CoreCount, IdleInflationStaysWithinTheModelsBound) {
  Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.05, 10));
  m.host.cores = 1;
  StackModel s = m.stacks.at("gunicorn-flask");
  s.load.idle_inflation = 0.9 * LoadDependence::kMaxIdleInflation;
  EXPECT_DOUBLE_EQ(seen_stack(as_seen_by(m, s, 64)).load.idle_inflation,
                   LoadDependence::kMaxIdleInflation);
}

TEST(Retarget, CrossCoreTermsMoveTheIdleTermsAtTheModelsCoreCount) {
  // Fitted at 2 cores on a host whose crossing wake-ups cost 3x, carried to
  // one where they cost 1.5x: g 2 -> 1.25, idle penalties equal.
  Model m = shipped_with_profile(profile(0.2, 0.1, 40, 0.05, 3.0));
  m.stacks.at("aiohttp").load.idle_inflation = 0.8;
  m.host.cores = 2;
  const Model r = retarget(m, host_profile_from_json(profile(0.2, 0.1, 40, 0.05, 1.5), "t.json"));
  EXPECT_NEAR(r.stacks.at("aiohttp").load.idle_inflation,
              m.stacks.at("aiohttp").load.idle_inflation * 1.25 / 2.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.provenance.at("retarget").at("cross_core_factor").get<double>(), 1.25 / 2.0);
  // Only one of the two probed it: no ratio from it.
  const Model r2 = retarget(m, host_profile_from_json(profile(0.2, 0.1, 40, 0.05), "t2.json"));
  EXPECT_DOUBLE_EQ(r2.stacks.at("aiohttp").load.idle_inflation,
                   m.stacks.at("aiohttp").load.idle_inflation);
}

}  // namespace
}  // namespace stacksim
