// The model a command simulates, as `sim`, `crossover`, `tune` and `validate`
// all take it: a model file (--model), carried to another host's profile
// (--host) and with other CPU corrections (--corrections) if asked; and
// how crossover and tune run and where their output goes.
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

// How a map-making command (crossover, tune) runs and prints: --format
// table|json|csv, --threads, --quiet, --out.
struct OutputChoice {
  std::string format = "table";
  std::string out;  // empty: stdout
  unsigned threads = 0;
  bool quiet = false;
  // The progress line's switch: on a terminal, unless --quiet.
  bool progress() const;
  // `text` to stdout, or atomically to --out.
  void print(const std::string& text) const;
};
void add_output_options(CLI::App& cmd, OutputChoice& choice);

// Adds --model (required, with `model_help`), --host and --corrections.
void add_model_options(CLI::App& cmd, ModelChoice& choice, const std::string& model_help);

}  // namespace stacksim::cli
