// One live run, end to end: checks (root, stack, packages, ports, foreign
// CPU), then PostgreSQL (cached cluster, or an existing server given by
// URL), pgbouncer, the app server and nginx, a warm-up, a wait until no
// connection is in flight, fresh baselines, the measured window (load
// generator, session monitor, CPU snapshots, requests served per worker),
// and teardown of everything on every exit path. The result is one JSON
// record whose CPU figures are per request per component group. Programs
// come from the install root (live/install_root: / or a prefix).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sim/scenario/config.hpp"

namespace stacksim::live {

struct RunConfig {
  std::string stack = "gunicorn-flask";
  int workers = 0;  // 0: 2*cores+1 for sync, cores for greenlet/coroutine
  int clients = 100;
  int sessions = 100;
  double delay_ms = 20;
  double duration_s = 10;  // the measured window (unless requests > 0)
  long requests = 0;
  double warmup_s = 2;
  long rows = 1000000;
  std::string load_generator = "ab";
  int cores = 0;  // 0: all, no pinning
  std::string db_mode = "connect";
  int pool_size = 4;
  int port = 0;                     // nginx's port; 0: a free one
  int backlog = 4096;               // listen backlog of nginx and the app server
  bool keep = false;                // keep the run directory
  std::string stacks_file;          // default: <source>/live/stacks.json
  std::string apps_dir;             // default: <source>/live/apps
  double max_foreign_cores = 0.15;  // above this the record is flagged
  double wait_quiet_s = 0;          // wait up to this long for foreign CPU to fall below the limit
  int foreign_retries = 2;          // run again this many times while flagged for foreign CPU
  // The C reference's rate on the run CPUs before and after the window may
  // differ by this share before the record is flagged (speed_moved): this VM
  // flips between two speeds ~35% apart.
  double max_speed_moved = 0.15;
  int speed_retries = 1;  // run again this many times while flagged for a speed that moved
  int repeat = 0;         // index among repeats (recorded)
  // An existing PostgreSQL instead of the private cluster: a file holding
  // its postgresql:// URL (or STACKSIM_POSTGRES_URL when empty). Never
  // recorded: it leads to a password.
  std::string postgres_url_file;
  // Every server in the runner's own session (one scheduler autogroup), as
  // the runner did before; by default each starts in a session of its own,
  // as a deployment's services do. Recorded as "server_sessions".
  bool shared_session = false;

  DbAccess db_access() const;  // db_mode in the simulator's words (validate() checks the name)
};

// --db-mode's names, as the apps read them (STACKSIM_DB_MODE): "connect", a
// connection through pgbouncer per request (the article's), and "pool", an
// app-side pool (Paterson's); the simulator calls them DbAccess. The one
// place the two vocabularies meet: false for an unknown name.
bool parse_db_mode(std::string_view name, DbAccess& out);
std::string db_mode_name(DbAccess access);
// A name already checked (validate(), a record's reader): connect per
// request unless it says "pool".
DbAccess db_access_of(std::string_view db_mode);

// Validates the knobs (InputError naming the flag).
void validate(const RunConfig& c);
// The knobs as JSON, in the simulator's names.
nlohmann::json config_json(const RunConfig& c);
// The inverse, for sweeps: unknown fields are InputErrors naming `where`.
RunConfig config_from_json(const nlohmann::json& j, const RunConfig& base,
                           const std::string& where);

using ProgressFn = std::function<void(const std::string&)>;

// Runs once; returns the record. A run flagged for foreign CPU is run again,
// up to foreign_retries times, and one flagged because the host's speed moved
// across its window up to speed_retries times (flags.attempts counts them). InputError for
// bad input; Interrupted on SIGINT/SIGTERM; runtime_error when a component
// fails. Nothing is left running on any of these paths.
nlohmann::json run_once(const RunConfig& config, const ProgressFn& progress = {});

// A short human-readable table of one record.
std::string format_record(const nlohmann::json& record);

}  // namespace stacksim::live
