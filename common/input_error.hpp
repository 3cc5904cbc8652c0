// Bad input (a scenario, a model, a flag) is reported as one message naming
// the file and the field, and the CLI exits with status 2. Everything that
// validates input throws this; nothing else does.
#pragma once

#include <stdexcept>
#include <string>

namespace stacksim {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

inline constexpr int kExitBadInput = 2;

}  // namespace stacksim
