// One attempt at one configuration, in its steps: check everything before
// anything starts (preflight), wait for a quiet host, start the stack
// (PostgreSQL, pgbouncer, the app server, nginx), warm up, measure the
// window, and write the record. run_once (run.hpp) repeats an attempt that
// another process disturbed or whose host speed moved.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "live/run.hpp"
#include "live/servers/external_postgres.hpp"

namespace stacksim::live {

nlohmann::json run_attempt(const RunConfig& config, const std::optional<PostgresUrl>& external,
                           const ProgressFn& progress);

}  // namespace stacksim::live
