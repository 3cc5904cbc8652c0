// What `stacksim tune` says beside its choice: the rules of thumb people use
// today, each simulated at what it would pick (gunicorn's 2 x cores + 1
// workers; a connection pool of 2 x cores + spindles, 0 spindles here since
// the table lives in RAM; Little's law W = X x hold time, per worker slot),
// and why the choice is what it is: what binds it, which end of a range it
// sits at, and what its workers cost in memory.
#pragma once

#include <string>

#include "sim/experiment/tune_evaluator.hpp"

namespace stacksim {

void add_rules(TuneEvaluator& ev, const TuneSpec& spec, StackTune& t);
void add_why(const StackModel& stack, StackTune& t);

// The knobs tune may search: numeric knobs of the server and pool, not the
// load, the host or the run's length; the list for messages.
bool is_tunable_knob(const std::string& name);
std::string tunable_knob_list();
// Each stack's nearest miss, for the message when no stack reaches the goal.
std::string best_reached_text(const TuneResult& result);

}  // namespace stacksim
