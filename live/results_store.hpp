// The results store: JSON lines, one record per run, appended (under an
// flock, so concurrent runners do not interleave lines). Calibration and
// validation read it; sweeps read it to resume after an interruption.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace stacksim::live {

inline constexpr const char* kDefaultStore = "live-results.jsonl";

void append_record(const std::string& path, const nlohmann::json& record);
// Every record of the store (missing file: none). A malformed line is an
// InputError naming the file and line number.
std::vector<nlohmann::json> read_records(const std::string& path);

}  // namespace stacksim::live
