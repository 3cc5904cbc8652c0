// libFuzzer target: raw bytes as one `--set KEY=VALUE` argument. An
// InputError is the answer to bad text; any other exception or a crash is a
// bug, and a value that is accepted must leave a scenario that writes to JSON.
#include <cstdint>
#include <string_view>

#include "common/input_error.hpp"
#include "sim/scenario/scenario_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view arg(reinterpret_cast<const char*>(data), size);
  stacksim::Scenario s;
  try {
    stacksim::apply_setting(s, arg);
    stacksim::check_scenario(s);
    (void)stacksim::to_json(s).dump();
  } catch (const stacksim::InputError&) {
  }
  return 0;
}
