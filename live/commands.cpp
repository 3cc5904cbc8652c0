// `stacksim live ...`: run the real stack and measure it (run), list the
// stacks (stacks), and sweep configurations (sweep). Bad input surfaces as
// InputError (exit 2 in main); a component failing at run time is exit 1;
// SIGINT/SIGTERM stop everything and exit 128 + signal.
#include "live/commands.hpp"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "common/input_error.hpp"
#include "live/os/install_root.hpp"
#include "live/os/process_registry.hpp"
#include "live/repeat_summary.hpp"
#include "live/results_store.hpp"
#include "live/run.hpp"
#include "live/servers/stack_recipes.hpp"
#include "live/sweep.hpp"

namespace stacksim::live {
namespace {

struct RunOptions {
  RunConfig config;
  int repeats = 1;
  std::string format = "table";
  std::string store = kDefaultStore;
  std::string prefix;
};

void add_knobs(CLI::App* cmd, RunConfig& c) {
  cmd->add_option("--workers", c.workers,
                  "App worker processes (default: 2*cores+1 sync, cores async)");
  cmd->add_option("--clients", c.clients, "Concurrent clients of the load generator")
      ->capture_default_str();
  cmd->add_option("--sessions", c.sessions, "pgbouncer server sessions (pool size)")
      ->capture_default_str();
  cmd->add_option("--delay-ms", c.delay_ms, "pg_sleep per request, ms")->capture_default_str();
  cmd->add_option("--duration-s", c.duration_s, "Measured window, s")->capture_default_str();
  cmd->add_option("--requests", c.requests, "Measured window as a request count (ab only)");
  cmd->add_option("--warmup-s", c.warmup_s, "Warm-up before the window, s")->capture_default_str();
  cmd->add_option("--rows", c.rows, "Rows in the test table")->capture_default_str();
  cmd->add_option("--load-generator", c.load_generator, "ab or wrk")->capture_default_str();
  cmd->add_option("--cores", c.cores, "Pin everything to this many CPUs (0: all, unpinned)");
  cmd->add_option("--db-mode", c.db_mode,
                  "connect (per request, the article's) or pool (Paterson's)")
      ->capture_default_str();
  cmd->add_option("--pool-size", c.pool_size, "App-side pool per worker in --db-mode pool")
      ->capture_default_str();
  cmd->add_option("--port", c.port, "nginx's port on 127.0.0.1 (default: a free one)");
  cmd->add_option("--backlog", c.backlog, "Listen backlog of nginx and the app server")
      ->capture_default_str();
  cmd->add_option("--max-foreign-cores", c.max_foreign_cores,
                  "Flag runs with more foreign CPU than this")
      ->capture_default_str();
  cmd->add_option("--foreign-retries", c.foreign_retries,
                  "Run again this many times while foreign CPU is above the limit")
      ->capture_default_str();
  cmd->add_option("--max-speed-moved", c.max_speed_moved,
                  "Flag runs whose C reference rate after the window differs from the one "
                  "before by more than this share (flags.speed_moved)")
      ->capture_default_str();
  cmd->add_option("--speed-retries", c.speed_retries,
                  "Run again this many times while flagged for a speed that moved")
      ->capture_default_str();
  cmd->add_option("--wait-quiet-s", c.wait_quiet_s,
                  "Before starting, wait up to this long for foreign CPU to fall below the limit");
  cmd->add_option("--stacks-file", c.stacks_file, "Stack recipes (default: live/stacks.json)");
  cmd->add_option("--apps-dir", c.apps_dir, "The apps (default: live/apps)");
  cmd->add_option("--postgres-url-file", c.postgres_url_file,
                  "Use the existing PostgreSQL whose postgresql:// URL is in this file (mode "
                  "0600; or set STACKSIM_POSTGRES_URL) instead of the private cluster");
  cmd->add_flag("--keep", c.keep, "Keep the run directory (configs, logs)");
}

// `--prefix DIR`: the programs from a relocatable prefix (scripts/build-prefix.sh)
// instead of the host's /; STACKSIM_PREFIX does the same for every command.
void add_prefix_option(CLI::App* cmd, std::string& dir) {
  cmd->add_option("--prefix", dir,
                  "Run the programs from this prefix of Debian packages (scripts/build-prefix.sh) "
                  "instead of /; the same as STACKSIM_PREFIX=DIR");
}

void use_prefix_option(const std::string& dir) {
  if (dir.empty()) return;
  set_prefix_option(dir);
  install_root();  // a bad directory is named now, before anything starts
}

int run_command(const RunOptions& o) {
  if (o.format != "table" && o.format != "json") throw InputError("--format must be table or json");
  if (o.repeats < 1) throw InputError("--repeats must be at least 1");
  use_prefix_option(o.prefix);
  std::vector<nlohmann::json> records;
  const bool quiet = o.format == "json";
  for (int rep = 0; rep < o.repeats; ++rep) {
    RunConfig c = o.config;
    c.repeat = rep;
    auto progress = [quiet](const std::string& what) {
      if (!quiet || what.rfind("warning", 0) == 0) std::fprintf(stderr, "live: %s\n", what.c_str());
    };
    nlohmann::json record = run_once(c, progress);
    if (!o.store.empty()) append_record(o.store, record);
    if (o.format == "json") {
      std::printf("%s\n", record.dump(2).c_str());
    } else {
      std::printf("%s", format_record(record).c_str());
    }
    std::fflush(stdout);
    records.push_back(std::move(record));
  }
  if (o.repeats > 1) {
    const auto summary = summarise(records);
    if (o.format == "json") {
      std::printf("%s\n", to_json(summary.front()).dump(2).c_str());
    } else {
      std::printf("\n%s", format_summary(summary).c_str());
    }
  }
  return 0;
}

int list_stacks(const std::string& path, const std::string& format) {
  install_root();  // a bad STACKSIM_PREFIX is named, not read as "nothing installed"
  const StackRecipes recipes = load_stack_recipes(path.empty() ? default_stacks_path() : path);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, r] : recipes.stacks) {
    const auto missing = r.installable ? missing_packages(r.packages) : std::vector<std::string>{};
    nlohmann::json row = {{"stack", name},
                          {"type", std::string(to_string(r.type))},
                          {"server", r.server},
                          {"framework", r.framework},
                          {"installable", r.installable},
                          {"installed", r.installable && missing.empty()},
                          {"missing_packages", missing}};
    if (!r.installable) row["reason"] = r.reason;
    out.push_back(row);
  }
  if (format == "json") {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%-24s %-10s %-17s %s\n", "stack", "type", "server", "status");
  for (const auto& row : out) {
    std::string status;
    if (!row["installable"].get<bool>()) {
      status = "cannot be installed: " + row["reason"].get<std::string>();
    } else if (row["installed"].get<bool>()) {
      status = "installed";
    } else {
      status = "missing packages:";
      for (const auto& m : row["missing_packages"]) status += " " + m.get<std::string>();
    }
    std::printf("%-24s %-10s %-17s %s\n", row["stack"].get<std::string>().c_str(),
                row["type"].get<std::string>().c_str(), row["server"].get<std::string>().c_str(),
                status.c_str());
  }
  return 0;
}

}  // namespace

CLI::App* add_command_group(CLI::App& app, const std::string& name,
                            const std::string& description) {
  CLI::App* group = app.add_subcommand(name, description);
  group->require_subcommand(1);
  return group;
}

void add_live_commands(CLI::App& app, int& exit_code) {
  auto* live = add_command_group(app, "live", "Run the real stack on this machine and measure it");

  auto run_opts = std::make_shared<RunOptions>();
  auto* run =
      live->add_subcommand("run", "One configuration: start the stack, warm up, measure, stop");
  run->add_option("--stack", run_opts->config.stack, "Stack name from live/stacks.json")
      ->capture_default_str();
  add_knobs(run, run_opts->config);
  run->add_option("--repeats", run_opts->repeats, "Repeat the run (spread is reported)")
      ->capture_default_str();
  add_prefix_option(run, run_opts->prefix);
  run->add_flag("--shared-session", run_opts->config.shared_session,
                "Start the servers in the runner's session (one scheduler autogroup), as "
                "before, instead of each in its own (recorded as server_sessions)");
  run->add_option("--format", run_opts->format, "table or json")->capture_default_str();
  run->add_option("--store", run_opts->store,
                  "Append each record to this JSON-lines file ('' for none)")
      ->capture_default_str();
  run->callback([run_opts, &exit_code] {
    exit_code = run_guarded("live", [&] { return run_command(*run_opts); });
  });

  auto stacks_file = std::make_shared<std::string>();
  auto stacks_format = std::make_shared<std::string>("table");
  auto* stacks =
      live->add_subcommand("stacks", "List the stacks, their type and whether they are installed");
  stacks->add_option("--stacks-file", *stacks_file, "Stack recipes (default: live/stacks.json)");
  stacks->add_option("--format", *stacks_format, "table or json")->capture_default_str();
  auto stacks_prefix = std::make_shared<std::string>();
  add_prefix_option(stacks, *stacks_prefix);
  stacks->callback([stacks_file, stacks_format, stacks_prefix, &exit_code] {
    if (*stacks_format != "table" && *stacks_format != "json")
      throw InputError("--format must be table or json");
    use_prefix_option(*stacks_prefix);
    exit_code = list_stacks(*stacks_file, *stacks_format);
  });

  struct SweepArgs {
    std::string scenario;
    std::string store = kDefaultStore;
    std::string format = "table";
    bool stop_on_error = false;
    std::string prefix;
    RunConfig defaults;
  };
  auto sweep_args = std::make_shared<SweepArgs>();
  auto* sweep =
      live->add_subcommand("sweep", "Run a list or grid of configurations, shuffled, with repeats");
  sweep->add_option("--scenario", sweep_args->scenario, "Sweep file (schema stacksim.live-sweep)")
      ->required();
  sweep->add_option("--store", sweep_args->store, "Results store; the sweep resumes from it")
      ->capture_default_str();
  sweep->add_option("--format", sweep_args->format, "table or json (records on stdout)")
      ->capture_default_str();
  sweep->add_flag("--stop-on-error", sweep_args->stop_on_error, "Stop at the first failing run");
  add_prefix_option(sweep, sweep_args->prefix);
  sweep->callback([sweep_args, &exit_code] {
    exit_code = run_guarded("live", [&] {
      if (sweep_args->format != "table" && sweep_args->format != "json") {
        throw InputError("--format must be table or json");
      }
      if (sweep_args->store.empty())
        throw InputError("--store: a sweep needs a results store to resume from");
      use_prefix_option(sweep_args->prefix);
      const SweepPlan plan = load_sweep(sweep_args->scenario, sweep_args->defaults);
      SweepOptions opts;
      opts.store = sweep_args->store;
      opts.json = sweep_args->format == "json";
      opts.stop_on_error = sweep_args->stop_on_error;
      return run_sweep(plan, opts) == 0 ? 0 : 1;
    });
  });
}

}  // namespace stacksim::live
