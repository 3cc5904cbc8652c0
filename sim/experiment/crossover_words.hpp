// The words of a crossover map: the analytic crossover from the bounds
// beside each simulated one, what binds each side around the crossing, where
// and why the simulation departs from the bounds, and what moves the curve.
// Read off the grid's simulated cells and explain()'s bounds; nothing here
// simulates.
#pragma once

#include <string>
#include <vector>

#include "sim/experiment/crossover.hpp"

namespace stacksim {

// The simulated grid as the words read it: per cell (X-major), its
// scenario and every stack's result (the sync side's, then the async side's).
struct CrossoverMap {
  const Model& model;
  const CrossoverSpec& spec;
  const std::vector<CrossoverCell>& cells;
  std::vector<const Scenario*> scenarios;
  const std::vector<std::vector<StackResult>>& runs;
};

// Fills p.analytic (Y = delay_ms) and p.why for X value ix at `level`.
void describe_point(const CrossoverMap& map, std::size_t ix, double level, CurvePoint& p);

// What moves the curve: how y* changes along X and what binds at the crossings.
std::string describe_curve(const CrossoverMap& map, const CrossoverCurve& curve);

}  // namespace stacksim
