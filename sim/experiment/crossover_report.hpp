// The three ways `stacksim crossover` prints a map: a table for people (the
// ratio over the grid, then each curve with its interval, the bounds' D* and
// the why), one JSON document (schema "stacksim.crossover", version 1, fields
// in docs/crossover.md), and CSV with one row per grid cell and per curve
// point.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "sim/experiment/crossover.hpp"

namespace stacksim {

inline constexpr const char* kCrossoverSchema = "stacksim.crossover";
inline constexpr int kCrossoverVersion = 1;

nlohmann::json crossover_json(const Model& model, const CrossoverSpec& spec,
                              const CrossoverResult& result);
void print_crossover_table(std::ostream& out, const CrossoverSpec& spec,
                           const CrossoverResult& result);
void print_crossover_csv(std::ostream& out, const CrossoverSpec& spec,
                         const CrossoverResult& result);

}  // namespace stacksim
