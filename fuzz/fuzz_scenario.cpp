// libFuzzer target: raw bytes -> JSON, through the same reader as
// load_scenario (duplicate keys, depth cap) -> parse_scenario, then every
// sweep value through apply_setting as a run would. An InputError is the
// parser doing its job; any other exception or a crash is a bug. A scenario that
// parses must also write and read back to the same document.
#include <cstdint>
#include <cstdlib>

#include "common/input_error.hpp"
#include "fuzz/parse_round_trip.hpp"
#include "sim/scenario/scenario_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const stacksim::Scenario s =
        stacksim::fuzz::parse_round_trip(data, size, stacksim::parse_scenario);
    // parse_scenario validated each sweep value, so none may fail here.
    for (const auto& [key, values] : s.sweep) {
      for (const auto& v : values) {
        stacksim::Scenario copy = s;
        try {
          stacksim::apply_setting(copy, key, v);
        } catch (const stacksim::InputError&) {
          std::abort();
        }
      }
    }
  } catch (const stacksim::InputError&) {
  }
  return 0;
}
