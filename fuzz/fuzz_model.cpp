// libFuzzer target: raw bytes -> JSON, through the same reader as
// load_model (duplicate keys, depth cap) -> parse_model. An InputError is
// the parser doing its job; any other exception or a crash is a bug. A model
// that parses must also write and read back to the same document.
#include <cstdint>
#include <cstdlib>

#include "common/input_error.hpp"
#include "sim/scenario/json_fields.hpp"
#include "sim/scenario/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto j = stacksim::json_fields::parse_json_text(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    const stacksim::Model m = stacksim::parse_model(j, "fuzz.json");
    const nlohmann::json out = stacksim::to_json(m);
    if (stacksim::to_json(stacksim::parse_model(out, "fuzz.json")) != out) std::abort();
  } catch (const stacksim::InputError&) {
  }
  return 0;
}
