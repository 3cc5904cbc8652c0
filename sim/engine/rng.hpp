// Random streams. One master seed; every component instance draws from its
// own stream named by a string ("app.worker.3"), and the replication index
// picks a substream (ns-3's RngSeedManager idea). Streams are derived by
// hashing, so adding a component never shifts another's numbers, and two
// configurations that share component names share random numbers (common
// random numbers). The generator is xoshiro256** seeded through splitmix64:
// fixed algorithms, so the same seed gives the same bits everywhere.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

namespace stacksim {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FNV-1a: a stable 64-bit hash of a stream name.
constexpr std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Rng {
 public:
  Rng() : Rng(0, "default", 0) {}
  Rng(std::uint64_t master_seed, std::string_view stream, std::uint64_t substream) {
    std::uint64_t sm = master_seed;
    sm = splitmix64(sm) ^ fnv1a64(stream);
    sm = splitmix64(sm) ^ (substream * 0xd1342543de82ef95ULL);
    for (auto& word : s_) word = splitmix64(sm);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform on the open interval (0, 1): safe to take the log of.
  double uniform_open01() {
    return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53;
  }

  // Uniform integer in [0, n), n > 0, from the top 53 bits (the bias is
  // below 2^-40 for the n of at most thousands used here).
  std::uint64_t uniform_index(std::uint64_t n) {
    return static_cast<std::uint64_t>(static_cast<double>(next_u64() >> 11) * 0x1.0p-53 *
                                      static_cast<double>(n));
  }

  // Standard normal by Marsaglia's polar method, which makes two at a time:
  // the second is kept for the next call, part of the stream's state.
  double standard_normal() {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    for (;;) {
      const double u = 2.0 * uniform_open01() - 1.0;
      const double v = 2.0 * uniform_open01() - 1.0;
      const double s = u * u + v * v;
      if (s > 0.0 && s < 1.0) {
        const double f = std::sqrt(-2.0 * std::log(s) / s);
        spare_normal_ = v * f;
        has_spare_normal_ = true;
        return u * f;
      }
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_normal_ = 0.0;
  bool has_spare_normal_ = false;
};

}  // namespace stacksim
