// Names of the configuration enums as they appear in model and scenario
// files. to_string() is declared with the enums in config.hpp; the inverse
// lives here, in the style of parse_shape(): false for an unknown name, so
// the caller can say which file and field held it.
#pragma once

#include <string>
#include <string_view>

#include "sim/scenario/config.hpp"

namespace stacksim {

bool parse_worker_type(std::string_view name, WorkerType& out);
bool parse_accept_policy(std::string_view name, AcceptPolicy& out);
bool parse_worker_order(std::string_view name, WorkerOrder& out);
bool parse_db_access(std::string_view name, DbAccess& out);
bool parse_load_type(std::string_view name, LoadType& out);
bool parse_cpu_correction(std::string_view name, CpuCorrection& out);

// "a|b|c": the accepted names, for error messages (shape_names() is with
// parse_shape(), in sim/engine/distribution.hpp).
std::string worker_type_names();
std::string accept_policy_names();
std::string worker_order_names();
std::string db_access_names();
std::string load_type_names();
std::string cpu_correction_names();

}  // namespace stacksim
