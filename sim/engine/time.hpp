// Simulated time: a signed 64-bit count of nanoseconds (292 years of range).
// Integer time keeps event order exact and the same on every platform;
// conversions to and from milliseconds happen only at the edges (I/O).
#pragma once

#include <cmath>
#include <cstdint>

namespace stacksim {

using SimTime = std::int64_t;

inline constexpr SimTime kNsPerUs = 1'000;
inline constexpr SimTime kNsPerMs = 1'000'000;
inline constexpr SimTime kNsPerSec = 1'000'000'000;
inline constexpr SimTime kTimeNever = INT64_MAX;

inline SimTime ns_from_ms(double ms) {
  return static_cast<SimTime>(std::llround(ms * 1e6));
}
inline SimTime ns_from_us(double us) {
  return static_cast<SimTime>(std::llround(us * 1e3));
}
inline double ms_from_ns(SimTime ns) {
  return static_cast<double>(ns) * 1e-6;
}
inline double us_from_ns(SimTime ns) {
  return static_cast<double>(ns) * 1e-3;
}
inline double sec_from_ns(SimTime ns) {
  return static_cast<double>(ns) * 1e-9;
}
// The least whole ns >= ns, for 0 <= ns < 2^63: std::ceil's value, without
// the library call that std::ceil is on x86-64 below SSE4.1.
inline SimTime ceil_ns(double ns) {
  const auto whole = static_cast<SimTime>(ns);
  return static_cast<double>(whole) < ns ? whole + 1 : whole;
}

}  // namespace stacksim
