// An enum's names as they appear in files and on the command line: one
// table per enum, read both ways, so that writing a value and parsing it
// cannot drift apart. The names are C strings (literals), so that a name
// serves printf, std::string and std::string_view alike.
//
//   constexpr NameTable<Shape, 2> kShapes{{{Shape::kGamma, "gamma"}, ...}};
//   name_of(kShapes, Shape::kGamma)            // "gamma"
//   value_of(kShapes, "gamma", shape)          // true, shape = kGamma
//   all_names(kShapes)                         // "gamma|..." for messages
//
// An enum read from files has three public functions over its table, defined
// in one line by STACKSIM_NAME_FUNCTIONS(Shape, kShapes, parse_shape,
// shape_names); an enum only ever written has its to_string alone.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace stacksim {

template <typename E, std::size_t N>
using NameTable = std::array<std::pair<E, const char*>, N>;

// The value's name; "?" for a value the table lacks (a table covers its enum:
// the tests of each enum read its names both ways).
template <typename E, std::size_t N>
constexpr const char* name_of(const NameTable<E, N>& table, E value) {
  for (const auto& [e, name] : table) {
    if (e == value) return name;
  }
  return "?";
}

// False for an unknown name, so that the caller can say which file and field held it.
template <typename E, std::size_t N>
constexpr bool value_of(const NameTable<E, N>& table, std::string_view name, E& out) {
  for (const auto& [e, n] : table) {
    if (std::string_view(n) == name) {
      out = e;
      return true;
    }
  }
  return false;
}

// The names in table order, joined by `separator`: "a|b|c" for messages.
template <typename E, std::size_t N>
std::string all_names(const NameTable<E, N>& table, std::string_view separator = "|") {
  std::string s;
  for (const auto& entry : table) {
    if (!s.empty()) s += separator;
    s += entry.second;
  }
  return s;
}

}  // namespace stacksim

// `std::string_view to_string(Enum)`, `bool parse(std::string_view, Enum&)`
// and `std::string names()` ("a|b|c", for messages) over `table`: the
// functions every enum read from files has.
#define STACKSIM_NAME_FUNCTIONS(Enum, table, parse, names) \
  std::string_view to_string(Enum value) {                 \
    return name_of(table, value);                          \
  }                                                        \
  bool parse(std::string_view name, Enum& out) {           \
    return value_of(table, name, out);                     \
  }                                                        \
  std::string names() {                                    \
    return all_names(table);                               \
  }
