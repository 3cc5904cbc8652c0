// libFuzzer target: raw bytes -> JSON -> parse_model. Malformed JSON is
// skipped (load_model reports it before parse_model runs); an InputError is
// the parser doing its job; any other exception or a crash is a bug. A model
// that parses must also write and read back to the same document.
#include <cstdint>
#include <cstdlib>

#include "sim/scenario/input_error.hpp"
#include "sim/scenario/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto j = nlohmann::json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const stacksim::Model m = stacksim::parse_model(j, "fuzz.json");
    const nlohmann::json out = stacksim::to_json(m);
    if (stacksim::to_json(stacksim::parse_model(out, "fuzz.json")) != out) std::abort();
  } catch (const stacksim::InputError&) {
  }
  return 0;
}
