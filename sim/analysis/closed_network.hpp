// A single-class closed queueing network, typed: N customers circulate among
// delay (infinite-server), PS (one processor-sharing server) and FCFS
// (c exponential servers) stations. Each station has a mean service time per
// visit and a visit ratio; their product is the service demand D_k that MVA
// needs. The same value feeds the exact solver (mva.hpp) and the simulator
// (network_simulation.hpp), so the two are always about one network.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sim/engine/distribution.hpp"

namespace stacksim::analysis {

enum class StationKind { kDelay, kPs, kFcfs };

std::string_view to_string(StationKind k);

// How the simulator moves a job from one station to the next. Exact MVA
// depends only on the visit ratios, so both give the same answer.
enum class Routing {
  kCyclic,  // stations in file order, one visit each (all visit ratios 1)
  kRandom,  // after each visit, station k next with probability V_k / sum V
};

std::string_view to_string(Routing r);

struct Station {
  std::string name;
  StationKind kind = StationKind::kPs;
  int servers = 1;          // fcfs only; delay is infinite, ps has one
  double service_ms = 1.0;  // mean per visit
  double visits = 1.0;      // visit ratio V_k (visits per cycle)
  // Service-time shape for the simulator. Delay and PS stations are
  // insensitive (product form holds for any shape with this mean); FCFS
  // must be exponential for MVA to be exact.
  Shape shape = Shape::kExponential;
  double cv = 1.0;

  double demand_ms() const { return service_ms * visits; }
};

struct ClosedNetwork {
  std::string source;  // file it came from, for messages
  std::string name;
  int customers = 1;
  Routing routing = Routing::kCyclic;
  std::vector<Station> stations;

  // Sum of D_k over delay stations: the think time Z of the bounds.
  double think_ms() const;
};

// Parses and validates. `source` names the file in error messages. Throws
// stacksim::InputError naming the file and the field for an unknown field,
// a wrong type or a bad value.
ClosedNetwork network_from_json(const nlohmann::json& j, const std::string& source);
ClosedNetwork load_network(const std::filesystem::path& path);
nlohmann::json to_json(const ClosedNetwork& net);

// Checks the invariants a hand-built network must meet (the parser applies
// the same checks). Throws stacksim::InputError.
void validate(const ClosedNetwork& net);

}  // namespace stacksim::analysis
