// `stacksim host probe`: measure this host's profile (speed, wake-up
// latency, idle penalty) in seconds and write it, atomically, for models
// (host.profile) and `sim --host`.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "live/commands.hpp"
#include "live/os/process_registry.hpp"
#include "live/probe/host_probe.hpp"
#include "sim/scenario/host_profile.hpp"
#include "sim/scenario/json_fields.hpp"

namespace stacksim::live {

namespace {
struct ProbeCommandOptions {
  std::string out;
  ProbeOptions probe;
  std::string format = "table";
};

int run_probe(const ProbeCommandOptions& o) {
  HostProfile p = probe_host(o.probe);
  p.source = o.out;
  const nlohmann::json j = to_json(p);
  if (!o.out.empty()) json_fields::write_text_atomically(o.out, j.dump(2) + "\n", "--out");
  if (o.format == "json") {
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << format_profile(p);
    if (!o.out.empty()) std::cout << "Wrote " << o.out << "\n";
  }
  return 0;
}
}  // namespace

void add_host_commands(CLI::App& app, int& exit_code) {
  auto* host = add_command_group(app, "host", "Measure what this machine does to any software");
  auto o = std::make_shared<ProbeCommandOptions>();
  auto* probe = host->add_subcommand(
      "probe",
      "Probe this host in seconds (a C and a Python reference loop pinned to each CPU, a "
      "cross-CPU wake-up ping-pong, a burst after idle gaps) and write a host profile");
  probe->add_option("--out", o->out, "Write the profile (stacksim.host-profile JSON) here");
  probe
      ->add_option("--cores", o->probe.cores,
                   "Use the first N CPUs this process may run on (0: all), as live run --cores")
      ->check(CLI::Range(0, 4096))
      ->capture_default_str();
  probe
      ->add_option("--speed-seconds", o->probe.speed_seconds,
                   "Span of the speed probe, C and Python interleaved")
      ->check(CLI::Range(0.4, 600.0))
      ->capture_default_str();
  probe->add_option("--format", o->format, "table or json on stdout")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  probe->callback(
      [o, &exit_code] { exit_code = run_guarded("host probe", [&] { return run_probe(*o); }); });
}

}  // namespace stacksim::live
