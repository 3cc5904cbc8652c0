// Everything the live runner starts is registered here, so that every exit
// path (normal return, exception, SIGINT, SIGTERM) can stop it. Signals only
// set a flag that the runner's waits poll (check_interrupted throws); a
// second signal kills every registered process group at once and exits.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::live {

// Thrown from the runner's waits after SIGINT or SIGTERM; unwinding stops
// every process through the owners' destructors.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(int signal_number)
      : std::runtime_error("interrupted by signal " + std::to_string(signal_number)),
        signal_number_(signal_number) {}
  int signal_number() const { return signal_number_; }

 private:
  int signal_number_;
};

// Installs the SIGINT/SIGTERM handlers (idempotent) and ignores SIGPIPE.
void install_interrupt_handlers();

// The signal received, 0 if none.
int interrupt_signal();
void check_interrupted();

// Process groups currently alive; a fixed-size table so the signal handler
// can walk it without allocating.
void register_process_group(pid_t pgid);
void unregister_process_group(pid_t pgid);

// Sleeps in small steps, throwing Interrupted as soon as a signal arrived.
void interruptible_sleep_ms(long ms);

// Runs the body of a command that starts processes and turns what it throws
// into an exit status: Interrupted (everything was stopped on the way out)
// is 128 + the signal; InputError goes on to main (exit 2); any other
// failure is one line naming `who`, exit 1.
template <typename F>
int run_guarded(const char* who, F&& body) {
  try {
    return body();
  } catch (const Interrupted& e) {
    std::fprintf(stderr, "stacksim: %s: %s; everything started was stopped\n", who, e.what());
    return 128 + e.signal_number();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stacksim: %s: run failed: %s\n", who, e.what());
    return 1;
  }
}

}  // namespace stacksim::live
