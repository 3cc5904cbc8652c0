// What a demand in a model file becomes: mean_us in microseconds turns into a
// Distribution in nanoseconds (x 1000), cv is optional only where the shape
// fixes it (deterministic 0, exponential 1), and the enums read back by name.
#include "sim/scenario/model_io.hpp"

#include <gtest/gtest.h>

#include <tuple>

#include "common/input_error.hpp"
#include "sim/scenario/config_names.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

using nlohmann::json;

json demand(double mean_us, const char* shape) {
  return {{"mean_us", mean_us}, {"shape", shape}};
}

json minimal_model() {
  const json d = demand(10, "deterministic");
  json bursts = {{"pre", demand(120, "exponential")},
                 {"connect", {{"mean_us", 300.0}, {"cv", 0.5}, {"shape", "gamma"}}},
                 {"query", {{"mean_us", 40.0}, {"cv", 2.0}, {"shape", "lognormal"}}},
                 {"fetch", d},
                 {"close", {{"mean_us", 0}, {"cv", 0}, {"shape", "deterministic"}}},
                 {"respond", {{"mean_us", 90}, {"cv", 1}, {"shape", "exponential"}}}};
  return {
      {"schema", "stacksim.model"},
      {"version", 1},
      {"label", "t"},
      {"provenance", {{"kind", "calibrated"}, {"runs", {1, 2, 3}}}},
      {"host", {{"cores", 6}, {"cpu_model", "x"}, {"context_switch_us", 2.5}}},
      {"client", {{"send", d}, {"recv", d}}},
      {"proxy", {{"request", d}, {"response", d}}},
      {"kernel", {{"per_hop", d}}},
      {"pgbouncer", {{"login", d}, {"server_login", d}, {"query", d}, {"result", d}, {"close", d}}},
      {"postgres", {{"backend_start", d}, {"query", d}, {"fetch", d}, {"reset", d}}},
      {"stacks",
       {{"s",
         {{"type", "coroutine"},
          {"server", "uvicorn"},
          {"framework", "starlette"},
          {"installable", true},
          {"note", ""},
          {"accept_policy", "round_robin"},
          {"max_concurrency", 50},
          {"bursts", bursts}}}}}};
}

TEST(ModelIo, DemandsAreMicrosecondsInTheFileAndNanosecondsInTheModel) {
  const Model m = parse_model(minimal_model(), "t.json");
  const StackModel& s = m.stacks.at("s");
  // 120 us -> 120000 ns; exponential has cv 1 without saying so.
  EXPECT_EQ(s.pre.shape(), Shape::kExponential);
  EXPECT_EQ(s.pre.mean(), 120'000.0);
  EXPECT_EQ(s.pre.cv(), 1.0);
  EXPECT_EQ(s.connect.shape(), Shape::kGamma);
  EXPECT_EQ(s.connect.mean(), 300'000.0);
  EXPECT_EQ(s.connect.cv(), 0.5);
  EXPECT_EQ(s.query.shape(), Shape::kLognormal);
  EXPECT_EQ(s.query.cv(), 2.0);
  EXPECT_EQ(s.close.mean(), 0.0);
  EXPECT_EQ(m.host.context_switch_ns, 2'500);  // 2.5 us
  EXPECT_EQ(m.host.cores, 6);
  EXPECT_EQ(s.type, WorkerType::kCoroutine);
  EXPECT_EQ(s.accept_policy, AcceptPolicy::kRoundRobin);
  EXPECT_EQ(s.max_concurrency, 50);
  EXPECT_EQ(s.name, "s");
  // The provenance is kept whole, free fields included.
  EXPECT_EQ(m.provenance.at("runs"), json({1, 2, 3}));
}

TEST(ModelIo, ACvThatContradictsTheShapeIsAnError) {
  json j = minimal_model();
  j["stacks"]["s"]["bursts"]["pre"]["cv"] = 0.5;  // exponential's cv is 1
  EXPECT_THROW(parse_model(j, "t.json"), InputError);
  j = minimal_model();
  j["proxy"]["request"]["cv"] = 0.2;  // deterministic's cv is 0
  EXPECT_THROW(parse_model(j, "t.json"), InputError);
  j = minimal_model();
  j["stacks"]["s"]["bursts"]["query"]["cv"] = 0;  // lognormal needs cv > 0
  EXPECT_THROW(parse_model(j, "t.json"), InputError);
}

// What open backends add to a burst: the cost as given, either sign, but a
// batching (negative) cost never takes the burst below a tenth of itself.
TEST(LoadDependence, BackendCostAddsAndFloorsAtATenthOfTheWork) {
  EXPECT_DOUBLE_EQ(plus_backend_cost(1000, 0), 1000);
  EXPECT_DOUBLE_EQ(plus_backend_cost(1000, 20 * 5.0), 1100);
  EXPECT_DOUBLE_EQ(plus_backend_cost(1000, -20 * 30.0), 400);
  EXPECT_DOUBLE_EQ(plus_backend_cost(1000, -20 * 50.0), 100);  // not 0: the floor
  EXPECT_DOUBLE_EQ(plus_backend_cost(0, -5), 0);
}

// The load model's fields are optional (0: no load dependence) and read
// back through to_json; out-of-range values name their field.
TEST(ModelIo, LoadDependenceIsOptionalAndRoundTrips) {
  const Model plain = parse_model(minimal_model(), "t.json");
  EXPECT_FALSE(plain.client.load.any());
  EXPECT_FALSE(plain.stacks.at("s").load.any());
  EXPECT_FALSE(plain.postgres.load.any());
  EXPECT_EQ(plain.host.idle_window_ns, 5'000'000);  // the default, 5 ms
  EXPECT_EQ(plain.host.imbalance, 0.0);             // one shared run queue
  EXPECT_EQ(plain.host.speed, 1.0);                 // the machine it was measured on

  json j = minimal_model();
  j["host"]["idle_window_us"] = 2000;
  j["host"]["imbalance"] = 0.375;
  j["host"]["wakeup_latency_us"] = 12.5;
  j["host"]["speed"] = 0.8;
  j["client"]["load"] = {{"idle_inflation", 0.25}, {"background_cores", 0.01}};
  j["proxy"]["load"] = {{"idle_inflation", 0.5}};
  j["kernel"]["load"] = {{"per_backend_us", -0.5}, {"cold_us_per_ms", 0.75}};
  j["pgbouncer"]["load"] = {{"idle_inflation", 1.0}, {"per_backend_us", -1.0}};
  j["postgres"]["load"] = {{"idle_inflation", 1.25}, {"per_backend_us", 1.5}};
  j["stacks"]["s"]["load"] = {{"idle_inflation", 1.75}, {"background_cores", 0.02}};
  j["stacks"]["s"]["shared_scale"] = {{"pgbouncer", 1.25}, {"client", 0.9}};
  const Model m = parse_model(j, "t.json");
  EXPECT_EQ(m.host.idle_window_ns, 2'000'000);
  EXPECT_EQ(m.host.imbalance, 0.375);
  EXPECT_EQ(m.host.wakeup_latency_ns, 12'500);
  EXPECT_EQ(m.host.speed, 0.8);
  EXPECT_EQ(m.client.load.idle_inflation, 0.25);
  EXPECT_EQ(m.client.load.background_cores, 0.01);
  EXPECT_EQ(m.proxy.load.idle_inflation, 0.5);
  EXPECT_EQ(m.kernel.load.per_backend_ns, -500.0);
  EXPECT_EQ(m.kernel.load.cold_ns_per_ms, 750.0);
  EXPECT_EQ(m.pgbouncer.load.per_backend_ns, -1000.0);
  EXPECT_EQ(m.postgres.load.idle_inflation, 1.25);
  EXPECT_EQ(m.postgres.load.per_backend_ns, 1500.0);
  EXPECT_EQ(m.stacks.at("s").load.idle_inflation, 1.75);
  EXPECT_EQ(m.stacks.at("s").load.background_cores, 0.02);
  EXPECT_EQ(m.stacks.at("s").shared_scale.pgbouncer, 1.25);
  EXPECT_EQ(m.stacks.at("s").shared_scale.client, 0.9);
  EXPECT_EQ(m.stacks.at("s").shared_scale.postgres, 1.0);  // unnamed: as the shared model
  EXPECT_FALSE(plain.stacks.at("s").shared_scale.any());
  const Model back = parse_model(to_json(m), "back.json");
  EXPECT_EQ(to_json(back), to_json(m));

  for (const auto& [section, field, value] :
       {std::tuple<const char*, const char*, double>{"client", "idle_inflation", -0.5},
        {"postgres", "background_cores", -1.0},
        {"proxy", "cold_us_per_ms", -2.0},
        {"pgbouncer", "surprise", 1.0}}) {
    json bad = minimal_model();
    bad[section]["load"][field] = value;
    try {
      parse_model(bad, "t.json");
      ADD_FAILURE() << section << ".load." << field << " = " << value << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string(section) + ".load." + field),
                std::string::npos)
          << e.what();
    }
  }
  json bad = minimal_model();
  bad["host"]["idle_window_us"] = 0;
  EXPECT_THROW(parse_model(bad, "t.json"), InputError);
  for (const auto& [key, value] :
       {std::pair<const char*, double>{"pgbouncer", 0.0}, {"app", 1.0}}) {
    bad = minimal_model();
    bad["stacks"]["s"]["shared_scale"] = {{key, value}};
    try {
      parse_model(bad, "t.json");
      ADD_FAILURE() << "shared_scale." << key << " = " << value << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("stacks.s.shared_scale.") + key),
                std::string::npos)
          << e.what();
    }
  }
  for (const auto& [field, value] :
       {std::pair<const char*, double>{"imbalance", 1.5}, {"speed", 0.0}, {"speed", -1.0}}) {
    bad = minimal_model();
    bad["host"][field] = value;
    try {
      parse_model(bad, "t.json");
      ADD_FAILURE() << "host." << field << " = " << value << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("host.") + field), std::string::npos)
          << e.what();
    }
  }
}

TEST(ModelIo, EnumNamesReadBackToTheSameValue) {
  for (WorkerType t : {WorkerType::kSync, WorkerType::kGreenlet, WorkerType::kCoroutine}) {
    WorkerType back{};
    ASSERT_TRUE(parse_worker_type(to_string(t), back));
    EXPECT_EQ(back, t);
  }
  for (AcceptPolicy p :
       {AcceptPolicy::kRoundRobin, AcceptPolicy::kRandom, AcceptPolicy::kLeastLoaded}) {
    AcceptPolicy back{};
    ASSERT_TRUE(parse_accept_policy(to_string(p), back));
    EXPECT_EQ(back, p);
  }
  for (DbAccess a : {DbAccess::kConnectPerRequest, DbAccess::kAppPool}) {
    DbAccess back{};
    ASSERT_TRUE(parse_db_access(to_string(a), back));
    EXPECT_EQ(back, a);
  }
  for (LoadType l : {LoadType::kClosed, LoadType::kOpen}) {
    LoadType back{};
    ASSERT_TRUE(parse_load_type(to_string(l), back));
    EXPECT_EQ(back, l);
  }
  WorkerType t{};
  EXPECT_FALSE(parse_worker_type("Sync", t));  // names are exact
  EXPECT_EQ(worker_type_names(), "sync|greenlet|coroutine");
}

}  // namespace
}  // namespace stacksim

namespace stacksim {
namespace {

// host.corrections names the corrections of processor sharing the model
// uses; the terms of the others stay in the model (and the file) but the
// simulator and the explanation, through as_seen_by, run without them.
TEST(ModelIo, CorrectionsNameWhatTheModelUsesAndAsSeenByTurnsTheOthersOff) {
  json j = minimal_model();
  EXPECT_EQ(parse_model(j, "t.json").host.corrections, CpuCorrections::all());
  j["host"]["imbalance"] = 0.375;
  j["host"]["wakeup_latency_us"] = 12.5;
  j["host"]["speed"] = 0.8;
  j["client"]["load"] = {{"idle_inflation", 0.25}, {"background_cores", 0.01}};
  j["kernel"]["load"] = {{"per_backend_us", -0.5}, {"cold_us_per_ms", 0.75}};
  j["stacks"]["s"]["load"] = {{"idle_inflation", 1.75}, {"cold_us_per_ms", 2.0}};
  j["host"]["corrections"] = {"speed", "cold_cache"};
  const Model m = parse_model(j, "t.json");
  EXPECT_TRUE(m.host.corrections.uses(CpuCorrection::kSpeed));
  EXPECT_TRUE(m.host.corrections.uses(CpuCorrection::kColdCache));
  EXPECT_FALSE(m.host.corrections.uses(CpuCorrection::kImbalance));
  EXPECT_EQ(m.host.imbalance, 0.375);  // kept as read

  const Model seen = as_seen_by(m, m.stacks.at("s"), m.host.cores);
  EXPECT_EQ(seen.host.speed, 0.8);
  EXPECT_EQ(seen.kernel.load.cold_ns_per_ms, 750.0);
  EXPECT_EQ(seen_stack(seen).load.cold_ns_per_ms, 2000.0);
  EXPECT_EQ(seen.host.imbalance, 0.0);
  EXPECT_EQ(seen.host.wakeup_latency_ns, 0);
  EXPECT_EQ(seen.client.load.idle_inflation, 0.0);
  EXPECT_EQ(seen.client.load.background_cores, 0.0);
  EXPECT_EQ(seen_stack(seen).load.idle_inflation, 0.0);
  EXPECT_EQ(seen.kernel.load.per_backend_ns, -500.0);  // not a CPU correction

  // Written as a list, read back the same.
  const json out = to_json(m);
  EXPECT_EQ(out["host"]["corrections"], json({"speed", "cold_cache"}));
  EXPECT_EQ(parse_model(out, "t.json").host.corrections, m.host.corrections);
  EXPECT_EQ(to_json(parse_model(minimal_model(), "t.json"))["host"]["corrections"].size(),
            static_cast<std::size_t>(kCpuCorrectionCount));
}

TEST(ModelIo, ACommandLineListOfCorrectionsReadsLikeTheFileField) {
  const CpuCorrections two = parse_corrections("speed,imbalance", "--corrections");
  EXPECT_TRUE(two.uses(CpuCorrection::kSpeed));
  EXPECT_TRUE(two.uses(CpuCorrection::kImbalance));
  EXPECT_FALSE(two.uses(CpuCorrection::kWakeupLatency));
  EXPECT_EQ(parse_corrections("none", "--corrections"), CpuCorrections::none());
  EXPECT_EQ(parse_corrections("all", "--corrections"), CpuCorrections::all());
  EXPECT_THROW(parse_corrections("", "--corrections"), InputError);
  EXPECT_THROW(parse_corrections("speed,,imbalance", "--corrections"), InputError);
}

TEST(ModelIo, ABadCorrectionIsNamedWithItsPlace) {
  const auto message = [](const json& corrections) {
    json j = minimal_model();
    j["host"]["corrections"] = corrections;
    try {
      parse_model(j, "t.json");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"speed", "turbo"}),
            "t.json: host.corrections[1]: must be one of speed|wakeup_latency|imbalance|"
            "background|idle_inflation|cold_cache, got \"turbo\"");
  EXPECT_EQ(message({"speed", "speed"}), "t.json: host.corrections[1]: names speed twice");
  EXPECT_NE(message("speed").find("host.corrections: must be a list of"), std::string::npos);
  EXPECT_EQ(message(json::array()), "no error");  // plain processor sharing
}

}  // namespace
}  // namespace stacksim

namespace stacksim {
namespace {

// stacks.<name>.memory is optional; present, worker_mb and master_mb are
// required, connection_mb optional, each in [0, 1e7] MB, and it comes back
// from to_json (connection_mb only where set); RAM for W workers holding N
// connections is the master's plus W times a worker's plus N times a
// connection's.
TEST(ModelIo, StackMemoryIsOptionalStrictAndRoundTrips) {
  json j = minimal_model();
  EXPECT_FALSE(parse_model(j, "t.json").stacks.at("s").memory);
  j["stacks"]["s"]["memory"] = {{"worker_mb", 21.5}, {"master_mb", 30}};
  const Model m = parse_model(j, "t.json");
  ASSERT_TRUE(m.stacks.at("s").memory);
  EXPECT_EQ(m.stacks.at("s").memory->mb_for(4, 100), 30 + 4 * 21.5);  // connection_mb 0
  const Model back = parse_model(to_json(m), "back.json");
  EXPECT_EQ(back.stacks.at("s").memory->worker_mb, 21.5);
  EXPECT_EQ(back.stacks.at("s").memory->master_mb, 30);
  EXPECT_FALSE(to_json(m)["stacks"]["s"]["memory"].contains("connection_mb"));
  json with_connections = j;
  with_connections["stacks"]["s"]["memory"]["connection_mb"] = 0.25;
  const Model c = parse_model(with_connections, "t.json");
  EXPECT_EQ(c.stacks.at("s").memory->mb_for(4, 100), 30 + 4 * 21.5 + 100 * 0.25);
  EXPECT_EQ(parse_model(to_json(c), "back.json").stacks.at("s").memory->connection_mb, 0.25);
  for (const auto& [field, bad] : {std::pair<const char*, json>{"worker_mb", -1},
                                   {"master_mb", "x"},
                                   {"connection_mb", -0.5},
                                   {"extra", 1}}) {
    json b = j;
    b["stacks"]["s"]["memory"][field] = bad;
    try {
      parse_model(b, "t.json");
      ADD_FAILURE() << field;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("stacks.s.memory.") + field),
                std::string::npos)
          << e.what();
    }
  }
  json missing = j;
  missing["stacks"]["s"]["memory"].erase("master_mb");
  EXPECT_THROW(parse_model(missing, "t.json"), InputError);
}

// A stack's worker_order is optional: fifo when absent (and then not
// written back), random when the file says so, any other name an error
// that names the field.
TEST(ModelIo, WorkerOrderIsFifoUnlessTheFileSaysRandom) {
  json j = minimal_model();
  const Model fifo = parse_model(j, "t.json");
  EXPECT_EQ(fifo.stacks.at("s").worker_order, WorkerOrder::kFifo);
  EXPECT_FALSE(to_json(fifo)["stacks"]["s"].contains("worker_order"));
  j["stacks"]["s"]["worker_order"] = "random";
  const Model random = parse_model(j, "t.json");
  EXPECT_EQ(random.stacks.at("s").worker_order, WorkerOrder::kRandom);
  EXPECT_EQ(to_json(random)["stacks"]["s"]["worker_order"], "random");
  j["stacks"]["s"]["worker_order"] = "lifo";
  const std::string e = input_error_of([&] { parse_model(j, "t.json"); });
  EXPECT_TRUE(says(e, "worker_order"));
  EXPECT_TRUE(says(e, "fifo|random"));
}

}  // namespace
}  // namespace stacksim
