// Checking an InputError from a test: the message of the one a call throws,
// and whether a message says what it should. One place for the try / FAIL /
// catch every test of bad input would otherwise write again.
#pragma once

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

#include "common/input_error.hpp"

namespace stacksim::testing {

// Runs `f` and returns the InputError's message; fails the test (and
// returns "") if it throws anything else or nothing.
inline std::string input_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not an InputError: " << e.what();
    return {};
  }
  ADD_FAILURE() << "no error";
  return {};
}

// Whether `message` says `part`; a failure shows the whole message.
inline ::testing::AssertionResult says(const std::string& message, const std::string& part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" is not in: " << message;
}

}  // namespace stacksim::testing
