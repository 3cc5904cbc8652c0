// The model a command simulates, as `sim`, `crossover`, `tune` and `validate`
// all take it: a model file (--model), carried to another host's profile
// (--host) and with other CPU corrections (--corrections) if asked; and
// where their output goes.
#pragma once

#include <string>

#include "sim/scenario/config.hpp"

namespace CLI {
class App;
}

namespace stacksim::cli {

struct ModelChoice {
  std::string model;
  std::string host;         // a host profile to carry the model to
  std::string corrections;  // the CPU corrections to use instead of the model's
  Model load() const;
};

// What a command prints: to stdout, or with `out` set, to that file
// atomically (--out).
void print_or_write(const std::string& text, const std::string& out);

// Adds --model (required, with `model_help`), --host and --corrections.
void add_model_options(CLI::App& cmd, ModelChoice& choice, const std::string& model_help);

}  // namespace stacksim::cli
