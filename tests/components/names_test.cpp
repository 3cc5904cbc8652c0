// The names the stack's enums print under (the breakdown's phases, the CPU
// by role): every value has one of its own, so no value falls through to "?".
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/components/request.hpp"
#include "sim/components/topology.hpp"

namespace stacksim {
namespace {

template <typename E>
void expect_distinct_names(std::initializer_list<E> values) {
  std::set<std::string> seen;
  for (E v : values) {
    const std::string name = to_string(v);
    EXPECT_NE(name, "?") << static_cast<int>(v);
    EXPECT_TRUE(seen.insert(name).second) << name << " names two values";
  }
}

TEST(Names, EveryPhaseHasANameOfItsOwn) {
  std::set<std::string> seen;
  for (int p = 0; p < kPhaseCount; ++p) {
    const std::string name = to_string(static_cast<Phase>(p));
    EXPECT_NE(name, "?") << p;
    EXPECT_TRUE(seen.insert(name).second) << name;
  }
  EXPECT_STREQ(to_string(Phase::kRetry), "syn_retry");
  EXPECT_STREQ(to_string(Phase::kCount), "?");
}

TEST(Names, EveryRoleHasANameOfItsOwn) {
  expect_distinct_names({Role::kNone, Role::kClient, Role::kKernel, Role::kProxy, Role::kApp,
                         Role::kPgbouncer, Role::kPostgres});
  EXPECT_STREQ(to_string(Role::kProxy), "nginx");
}

}  // namespace
}  // namespace stacksim
