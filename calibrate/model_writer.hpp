// Writing a fitted model file. The text comes from to_json(Model) and is
// checked by parse_model before anything touches the disk; it goes to a
// temporary file in the target's directory, is flushed, and is renamed over
// the target, so a reader sees the old file or the new one, never half.
#pragma once

#include <string>

#include "sim/scenario/config.hpp"

namespace stacksim::calibrate {

// <out_dir>/<label>.json. The label must be a name ([A-Za-z0-9._-], 1-100
// characters); InputError naming --label otherwise.
std::string model_path(const std::string& out_dir, const std::string& label);

// Writes atomically (temp file + rename in the same directory). A model that
// does not read back through parse_model is a std::logic_error (a bug here);
// an unwritable directory is an InputError naming it.
void write_model_atomically(const Model& model, const std::string& path);

}  // namespace stacksim::calibrate
