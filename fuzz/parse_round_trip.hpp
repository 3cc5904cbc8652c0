// What the model and scenario targets share: the bytes read as JSON through
// the same reader as load_model and load_scenario (duplicate keys, depth
// cap), parsed, and the value written and read back, which must give the
// same document. An InputError passes through: the parser doing its job.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/scenario/json_fields.hpp"

namespace stacksim::fuzz {

// `parse(json, source)` is parse_model or parse_scenario; returns what it
// parsed. Aborts when the round trip changes the document.
template <typename Parse>
auto parse_round_trip(const std::uint8_t* data, std::size_t size, Parse parse) {
  const auto j = json_fields::parse_json_text(
      std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  const auto value = parse(j, "fuzz.json");
  const nlohmann::json out = to_json(value);
  if (to_json(parse(out, "fuzz.json")) != out) std::abort();
  return value;
}

}  // namespace stacksim::fuzz
