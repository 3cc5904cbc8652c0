// libFuzzer target: raw bytes -> JSON, through the same reader as
// load_model (duplicate keys, depth cap) -> parse_model. An InputError is
// the parser doing its job; any other exception or a crash is a bug. A model
// that parses must also write and read back to the same document.
#include <cstdint>

#include "common/input_error.hpp"
#include "fuzz/parse_round_trip.hpp"
#include "sim/scenario/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    stacksim::fuzz::parse_round_trip(data, size, stacksim::parse_model);
  } catch (const stacksim::InputError&) {
  }
  return 0;
}
