// The three ways `stacksim tune` prints its answer: a table for people (per
// stack the choice with 95% intervals and RAM, the alternatives, the rules of
// thumb against it, and why), one JSON document (schema "stacksim.tune",
// version 1, fields in docs/tune.md), and CSV with one row per configuration
// shown.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "sim/experiment/tune.hpp"

namespace stacksim {

nlohmann::json tune_json(const Model& model, const TuneSpec& spec, const TuneResult& result);
void print_tune_table(std::ostream& out, const TuneSpec& spec, const TuneResult& result);
void print_tune_csv(std::ostream& out, const TuneResult& result);

}  // namespace stacksim
