// The table every app queries: test(a int primary key, b text) with rows
// 1..N and b a random 20-letter string from a fixed seed, so every machine
// gets the same data. Loaded with COPY (libpqxx stream_to), the key added
// after the load (faster than maintaining it row by row).
#pragma once

#include <pqxx/connection>
#include <string>

namespace stacksim::live {

inline constexpr std::uint64_t kTableSeed = 20200612;  // the article's month

// The b value of row a (1-based): deterministic from the fixed seed.
std::string test_row_text(std::uint64_t seed, long a);

// Creates and fills the table; drops an existing one first.
void load_test_table(pqxx::connection& c, long rows);

}  // namespace stacksim::live
