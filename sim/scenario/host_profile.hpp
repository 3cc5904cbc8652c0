// A host profile: what one machine does to any software, measured by
// `stacksim host probe` in seconds (live/probe/), kept apart from what the
// software costs. A model names the profile of the machine it was fitted on
// (host.profile); `sim --host P` carries the model to the machine P was
// probed on by the ratio of each probed term (retarget).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "sim/scenario/config.hpp"

namespace stacksim {

inline constexpr const char* kHostProfileSchema = "stacksim.host-profile";
inline constexpr int kHostProfileVersion = 1;

// Strict reading: schema and version checked, every term required and
// named in the error when missing or out of range; cross_core_idle alone
// is optional (0: not probed), so profiles from before it still read.
HostProfile host_profile_from_json(const nlohmann::json& j, const std::string& source,
                                   const std::string& path_prefix = "");
HostProfile load_host_profile(const std::string& path);
nlohmann::json to_json(const HostProfile& p);

// The model carried to the host `target` was probed on, from the host its
// profile (model.host.profile) was probed on. Each host term is the model's
// times the ratio of the probed terms: the app's CPU by the Python rates,
// every other group's by the native rates, the wake-up latency by the
// latencies, idle inflation and cold-cache cost by the idle penalties (and
// by the cross-core terms at the model's core count, where both have one).
// host.imbalance is kept (no probe isolates it) and the result says so in
// provenance.retarget. InputError when the model names no profile.
Model retarget(const Model& model, const HostProfile& target);

// The model a command predicts with (sim, validate): read from
// `model_path`, carried to the profile at `host_path` when one is given, and
// using only the CPU corrections `corrections` names when given
// (parse_corrections; empty: the model's own).
Model load_model_for(const std::string& model_path, const std::string& host_path,
                     const std::string& corrections);

}  // namespace stacksim
