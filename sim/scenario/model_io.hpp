// Model files (schema "stacksim.model", version 1) to and from stacksim::Model.
// Parsing is strict: every field is required unless docs/files.md says
// otherwise, unknown fields are errors, and each error is an InputError naming
// the file and the JSON path. Demands are written in microseconds (mean_us)
// and held in nanoseconds, the simulator's unit.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/scenario/config.hpp"

namespace stacksim {

inline constexpr const char* kModelSchema = "stacksim.model";
inline constexpr int kModelVersion = 1;

Model load_model(const std::string& path);
// A list of CPU corrections as a command line gives it (--corrections):
// names from host.corrections separated by commas, or "none" (plain
// processor sharing) or "all". InputError naming `where` and the name.
CpuCorrections parse_corrections(const std::string& list, const std::string& where);
// `source` names the input in messages (a file path, "<stdin>", ...).
Model parse_model(const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const Model& model);

// A demand as a file states it: {"mean_us", "cv", "shape"}, mean in
// microseconds; the Distribution holds nanoseconds.
nlohmann::json demand_to_json(const Distribution& d);

}  // namespace stacksim
