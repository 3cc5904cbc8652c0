// Network files: the shipped ones load; bad input is one InputError that
// names the file and the field.
#include "sim/analysis/closed_network.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "common/input_error.hpp"
#include "tests/support/input_error.hpp"

namespace stacksim::analysis {
namespace {

using stacksim::testing::input_error_of;
using stacksim::testing::says;

const std::string kDir = std::string(STACKSIM_SOURCE_DIR) + "/networks/";

nlohmann::json minimal() {
  return nlohmann::json::parse(R"({
    "schema": "stacksim-network", "version": 1, "customers": 10,
    "stations": [
      {"name": "cpu", "kind": "ps", "service_ms": 2.0},
      {"name": "think", "kind": "delay", "service_ms": 10.0}
    ]})");
}

// Parses `j` as file "net.json" and returns the error message ("" if none).
std::string error_of(const nlohmann::json& j) {
  try {
    network_from_json(j, "net.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(ClosedNetworkFile, ShippedNetworksLoadWithTheirDemands) {
  const ClosedNetwork mmc = load_network(kDir + "mmc.json");
  ASSERT_EQ(mmc.stations.size(), 1u);
  EXPECT_EQ(mmc.customers, 100);
  EXPECT_EQ(mmc.stations[0].servers, 6);
  EXPECT_EQ(mmc.routing, Routing::kCyclic);

  const ClosedNetwork md = load_network(kDir + "mmc_delay.json");
  EXPECT_DOUBLE_EQ(md.think_ms(), 20.0);

  const ClosedNetwork three = load_network(kDir + "three_station.json");
  ASSERT_EQ(three.stations.size(), 3u);
  EXPECT_EQ(three.routing, Routing::kRandom);
  EXPECT_DOUBLE_EQ(three.stations[0].demand_ms(), 2.0);  // 0.5 ms x 4 visits
  EXPECT_DOUBLE_EQ(three.stations[1].demand_ms(), 3.0);  // 1.5 ms x 2 visits
}

TEST(ClosedNetworkFile, RoundTripsThroughJson) {
  const ClosedNetwork a = load_network(kDir + "three_station.json");
  const ClosedNetwork b = network_from_json(to_json(a), "copy");
  ASSERT_EQ(a.stations.size(), b.stations.size());
  for (std::size_t k = 0; k < a.stations.size(); ++k) {
    EXPECT_EQ(a.stations[k].name, b.stations[k].name);
    EXPECT_EQ(a.stations[k].kind, b.stations[k].kind);
    EXPECT_EQ(a.stations[k].servers, b.stations[k].servers);
    EXPECT_EQ(a.stations[k].service_ms, b.stations[k].service_ms);
    EXPECT_EQ(a.stations[k].visits, b.stations[k].visits);
  }
  EXPECT_EQ(a.routing, b.routing);
  EXPECT_EQ(a.customers, b.customers);
}

TEST(ClosedNetworkFile, UnknownFieldIsNamedWithTheFile) {
  auto j = minimal();
  j["stations"][1]["thinktime"] = 3;
  EXPECT_EQ(error_of(j), "net.json: stations[1].thinktime: unknown field");
  j = minimal();
  j["customer"] = 3;
  EXPECT_EQ(error_of(j), "net.json: customer: unknown field");
}

TEST(ClosedNetworkFile, WrongTypesAreNamed) {
  auto j = minimal();
  j["customers"] = "ten";
  EXPECT_EQ(error_of(j), "net.json: customers: must be an integer");
  j = minimal();
  j["customers"] = 2.5;
  EXPECT_EQ(error_of(j), "net.json: customers: must be an integer");
  j = minimal();
  j["stations"][0]["service_ms"] = "2";
  EXPECT_EQ(error_of(j), "net.json: stations[0].service_ms: must be a number");
  j = minimal();
  j["stations"] = nlohmann::json::object();
  EXPECT_EQ(error_of(j), "net.json: stations: must be an array");
}

TEST(ClosedNetworkFile, BadValuesAreNamed) {
  auto j = minimal();
  j["customers"] = 0;
  EXPECT_NE(error_of(j).find("net.json: customers:"), std::string::npos);
  j = minimal();
  j["stations"][0]["service_ms"] = -1.0;
  EXPECT_EQ(error_of(j), "net.json: stations[0].service_ms: must be > 0 and <= 1e6 (ms)");
  j = minimal();
  j["stations"][0]["kind"] = "lifo";
  EXPECT_NE(error_of(j).find("net.json: stations[0].kind: unknown kind 'lifo'"), std::string::npos);
  j = minimal();
  j["stations"][0]["servers"] = 2;  // a ps station has no server count
  EXPECT_NE(error_of(j).find("net.json: stations[0].servers:"), std::string::npos);
  j = minimal();
  j["stations"][1]["name"] = "cpu";
  EXPECT_NE(error_of(j).find("net.json: stations[1].name: duplicate"), std::string::npos);
  j = minimal();
  j["stations"][0]["visits"] = 2.0;  // cyclic routing is one visit each
  j["routing"] = "cyclic";
  EXPECT_NE(error_of(j).find("net.json: stations[0].visits:"), std::string::npos);
  j = minimal();
  j["stations"][0]["kind"] = "fcfs";
  j["stations"][0]["shape"] = "lognormal";
  j["stations"][0]["cv"] = 2.0;
  EXPECT_NE(error_of(j).find("net.json: stations[0].shape:"), std::string::npos);
  j = minimal();
  j["stations"][0]["service_ms"] = 1e300;  // would overflow the ns clock
  EXPECT_NE(error_of(j).find("net.json: stations[0].service_ms:"), std::string::npos);
  j = minimal();
  j["stations"][0]["shape"] = "lognormal";
  j["stations"][0]["cv"] = 1e6;
  EXPECT_NE(error_of(j).find("net.json: stations[0].cv:"), std::string::npos);
  j = minimal();
  j.erase("schema");
  EXPECT_EQ(error_of(j), "net.json: schema: is required");
}

TEST(ClosedNetworkFile, MissingAndMalformedFilesAreInputErrors) {
  EXPECT_THROW(load_network("/nonexistent/net.json"), InputError);
  const std::string path = ::testing::TempDir() + "malformed_net.json";
  FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("{\"schema\": ", f);
  std::fclose(f);
  EXPECT_TRUE(says(input_error_of([&] { load_network(path); }), path + ": malformed JSON"));
}

}  // namespace
}  // namespace stacksim::analysis
