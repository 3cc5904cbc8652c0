// Scenario files (schema "stacksim.scenario", version 1) to and from
// stacksim::Scenario, and the `--set KEY=VALUE` overrides. One table of knobs
// serves the file's fields, --set and sweeps, so a knob has one name, one
// range and one message everywhere. Optional fields keep config.hpp's defaults.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/scenario/config.hpp"

namespace stacksim {

inline constexpr const char* kScenarioSchema = "stacksim.scenario";
inline constexpr int kScenarioVersion = 1;

Scenario load_scenario(const std::string& path);
// `source` names the input in messages. Validates each field, the sweep (each
// value applied to a copy) and the cross-field rules of check_scenario().
Scenario parse_scenario(const nlohmann::json& j, const std::string& source);
nlohmann::json to_json(const Scenario& scenario);

// Sets one knob from text, as `--set KEY=VALUE` does. Knobs: cores, workers
// (all three types), workers.sync, workers.greenlet, workers.coroutine,
// clients, sessions, delay_ms, requests, warmup_requests, replications, seed,
// db_access, app_pool_size, nginx, nginx_workers, backlog, syn_retry_ms, load,
// rate_rps, baseline. A bad key or value is an InputError naming `--set KEY`.
void apply_setting(Scenario& scenario, std::string_view key, std::string_view value);
// Splits "KEY=VALUE" and applies it; no '=' is an InputError.
void apply_setting(Scenario& scenario, std::string_view key_equals_value);
// Every knob name apply_setting accepts, in table order.
std::vector<std::string> knob_names();

// A knob that takes a number: whether it takes whole numbers only, and its
// inclusive range. What a crossover map may put on an axis.
struct NumericKnob {
  bool integer = false;
  double min = 0, max = 0;
};
// The knob's kind and range; nullopt for a knob that is not numeric (a name,
// a switch, the seed) or not known.
std::optional<NumericKnob> numeric_knob(std::string_view name);

// Rules across knobs, to run again after --set overrides (parse_scenario
// already runs it): an open load needs rate_rps > 0.
void check_scenario(const Scenario& scenario);

// Every stack the scenario names, and its baseline, must be in the model;
// the message lists the model's stacks otherwise.
void check_against_model(const Scenario& scenario, const Model& model);

}  // namespace stacksim
