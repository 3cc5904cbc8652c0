// Counters of the whole machine that say how often its cores were woken and
// switched, read around a run's window beside /proc/stat's CPU time:
// rescheduling interrupts (one core waking or preempting on another: the
// cross-core wake-ups of the processes the simulator's host models), function
// call interrupts, local timer interrupts (each core's tick; fewer while a
// tickless core sleeps) and context switches. Summed over the cores.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace stacksim::live {

struct MachineEvents {
  bool ok = false;  // /proc/interrupts had the three lines (x86 Linux)
  long rescheduling_ipis = 0;
  long function_call_ipis = 0;
  long local_timer = 0;
  long context_switches = 0;  // /proc/stat "ctxt"
};

// The RES, CAL and LOC lines of /proc/interrupts, each summed over its
// per-CPU columns; ok only when all three are there.
MachineEvents parse_interrupts(const std::string& interrupts_text);
// The "ctxt" line of /proc/stat; -1 when it is missing.
long parse_context_switches(const std::string& stat_text);
MachineEvents read_machine_events();

// What happened between two reads: end - begin, ok when both were.
MachineEvents events_between(const MachineEvents& begin, const MachineEvents& end);
// The counts of a window and the counts per completed request (null without
// requests); {"measured": false} when the window's reads failed.
nlohmann::json to_json(const MachineEvents& window, long completed_requests);

}  // namespace stacksim::live
