// The machine's wake-up counters around a run's window (live/measure/machine_events).
#include "live/measure/machine_events.hpp"

#include <gtest/gtest.h>

namespace stacksim::live {
namespace {

constexpr const char* kInterrupts =
    "           CPU0       CPU1       \n"
    " 24:          2          0  IO-APIC   5-edge      ACPI:Ged\n"
    "NMI:          0          0   Non-maskable interrupts\n"
    "LOC:   11588300   11184110   Local timer interrupts\n"
    "RES:    5172699    5004993   Rescheduling interrupts\n"
    "CAL:    4034024    4071619   Function call interrupts\n"
    "TLB:          0          0   TLB shootdowns\n"
    "ERR:          0\n";

TEST(MachineEvents, InterruptLinesAreSummedOverTheCoresAndTheirWordsLeftOut) {
  const MachineEvents e = parse_interrupts(kInterrupts);
  EXPECT_TRUE(e.ok);
  EXPECT_EQ(e.rescheduling_ipis, 5172699 + 5004993);
  EXPECT_EQ(e.function_call_ipis, 4034024 + 4071619);
  EXPECT_EQ(e.local_timer, 11588300 + 11184110);
}

TEST(MachineEvents, AMissingLineIsNotMeasuredAndSaysSo) {
  const MachineEvents e = parse_interrupts("           CPU0\nLOC:  10  Local timer interrupts\n");
  EXPECT_FALSE(e.ok);
  EXPECT_EQ(e.local_timer, 10);
  EXPECT_EQ(to_json(events_between(e, e), 100), nlohmann::json({{"measured", false}}));
}

TEST(MachineEvents, ContextSwitchesComeFromProcStat) {
  EXPECT_EQ(parse_context_switches("cpu  1 2 3 4\ncpu0 1 2 3 4\nintr 41776440 0 0\nctxt 117780581\n"
                                   "btime 1700000000\n"),
            117780581);
  EXPECT_EQ(parse_context_switches("cpu  1 2 3 4\n"), -1);
}

TEST(MachineEvents, AWindowIsTheDifferenceAndItsCountsPerRequest) {
  MachineEvents a = parse_interrupts(kInterrupts), b = a;
  a.context_switches = 1000;
  b.context_switches = 1900;
  b.rescheduling_ipis += 300;
  b.local_timer += 150;
  const nlohmann::json j = to_json(events_between(a, b), 150);
  EXPECT_TRUE(j.at("measured").get<bool>());
  EXPECT_EQ(j.at("rescheduling_ipis"), 300);
  EXPECT_EQ(j.at("function_call_ipis"), 0);
  EXPECT_EQ(j.at("context_switches"), 900);
  EXPECT_DOUBLE_EQ(j.at("per_request").at("rescheduling_ipis").get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(j.at("per_request").at("local_timer").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(j.at("per_request").at("context_switches").get<double>(), 6.0);
  EXPECT_TRUE(to_json(events_between(a, b), 0).at("per_request").at("local_timer").is_null());
}

TEST(MachineEvents, ThisMachineCountsGoForward) {
  const MachineEvents a = read_machine_events();
  if (!a.ok) GTEST_SKIP() << "no RES/CAL/LOC lines in /proc/interrupts on this kernel";
  const MachineEvents b = read_machine_events();
  EXPECT_GE(b.local_timer, a.local_timer);
  EXPECT_GT(b.context_switches, 0);
  EXPECT_GE(b.context_switches, a.context_switches);
}

}  // namespace
}  // namespace stacksim::live
