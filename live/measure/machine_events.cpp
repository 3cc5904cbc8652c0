#include "live/measure/machine_events.hpp"

#include <cctype>
#include <sstream>

#include "live/os/text_file.hpp"

namespace stacksim::live {

namespace {

// "RES:  5172699  5004993  Rescheduling interrupts" -> 10177692: the
// numbers after the label, up to the first word that is not one.
long sum_of_counts(std::istringstream& line) {
  long total = 0;
  std::string word;
  while (line >> word && std::isdigit(static_cast<unsigned char>(word[0])))
    total += std::stol(word);
  return total;
}

}  // namespace

MachineEvents parse_interrupts(const std::string& interrupts_text) {
  MachineEvents e;
  std::istringstream in(interrupts_text);
  std::string text;
  int found = 0;
  while (std::getline(in, text)) {
    std::istringstream line(text);
    std::string label;
    line >> label;
    long* counter = label == "RES:"   ? &e.rescheduling_ipis
                    : label == "CAL:" ? &e.function_call_ipis
                    : label == "LOC:" ? &e.local_timer
                                      : nullptr;
    if (counter == nullptr) continue;
    *counter = sum_of_counts(line);
    ++found;
  }
  e.ok = found == 3;
  return e;
}

long parse_context_switches(const std::string& stat_text) {
  std::istringstream in(stat_text);
  std::string label;
  while (in >> label) {
    if (label == "ctxt") {
      long n = -1;
      in >> n;
      return n;
    }
    in.ignore(1 << 20, '\n');
  }
  return -1;
}

MachineEvents read_machine_events() {
  MachineEvents e = parse_interrupts(read_text_file("/proc/interrupts"));
  e.context_switches = parse_context_switches(read_text_file("/proc/stat"));
  e.ok = e.ok && e.context_switches >= 0;
  return e;
}

MachineEvents events_between(const MachineEvents& begin, const MachineEvents& end) {
  MachineEvents d;
  d.ok = begin.ok && end.ok;
  d.rescheduling_ipis = end.rescheduling_ipis - begin.rescheduling_ipis;
  d.function_call_ipis = end.function_call_ipis - begin.function_call_ipis;
  d.local_timer = end.local_timer - begin.local_timer;
  d.context_switches = end.context_switches - begin.context_switches;
  return d;
}

nlohmann::json to_json(const MachineEvents& window, long completed_requests) {
  if (!window.ok) return {{"measured", false}};
  const nlohmann::json counts = {{"rescheduling_ipis", window.rescheduling_ipis},
                                 {"function_call_ipis", window.function_call_ipis},
                                 {"local_timer", window.local_timer},
                                 {"context_switches", window.context_switches}};
  nlohmann::json per_request = nlohmann::json::object();
  for (const auto& [name, n] : counts.items())
    per_request[name] =
        completed_requests > 0
            ? nlohmann::json(n.get<double>() / static_cast<double>(completed_requests))
            : nlohmann::json();
  nlohmann::json j = counts;
  j["measured"] = true;
  j["per_request"] = per_request;
  return j;
}

}  // namespace stacksim::live
