// Random streams. One master seed; every component instance draws from its
// own stream named by a string ("app.worker.3"), and the replication index
// picks a substream (ns-3's RngSeedManager idea). Streams are derived by
// hashing, so adding a component never shifts another's numbers, and two
// configurations that share component names share random numbers (common
// random numbers). The generator is xoshiro256** seeded through splitmix64:
// fixed algorithms, so the same seed gives the same bits everywhere.
#pragma once

#include <array>
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
  double uniform_open01() { return (static_cast<double>(next_u64() >> 11) + 0.5) * 0x1.0p-53; }

  // Uniform integer in [0, n), n > 0, from the top 53 bits (the bias is
  // below 2^-40 for the n of at most thousands used here).
  std::uint64_t uniform_index(std::uint64_t n) {
    return static_cast<std::uint64_t>(static_cast<double>(next_u64() >> 11) * 0x1.0p-53 *
                                      static_cast<double>(n));
  }

  // Standard normal by the ziggurat method (Marsaglia and Tsang 2000, in
  // Doornik's form with 128 layers): one 64-bit draw and one comparison
  // for 98.8% of samples. The tables are computed once, deterministically.
  double standard_normal();

 private:
  struct ZigguratDraw {
    int layer;
    double u;
  };
  ZigguratDraw ziggurat_draw();
  double normal_outside_rectangle(int layer, double u);
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

namespace detail {

struct Ziggurat {
  static constexpr int kLayers = 128;
  static constexpr double kR = 3.442619855899;       // start of the tail
  static constexpr double kV = 9.91256303526217e-3;  // area of each layer
  std::array<double, kLayers + 1> x;                 // layer edges, x[kLayers] = 0
  std::array<double, kLayers> ratio;                 // x[i + 1] / x[i]
  Ziggurat() {
    const double f = std::exp(-0.5 * kR * kR);
    x[0] = kV / f;  // the base layer's pseudo-width: its area is kV
    x[1] = kR;
    for (int i = 2; i < kLayers; ++i)
      x[i] = std::sqrt(-2.0 * std::log(kV / x[i - 1] + std::exp(-0.5 * x[i - 1] * x[i - 1])));
    x[kLayers] = 0.0;
    for (int i = 0; i < kLayers; ++i) ratio[i] = x[i + 1] / x[i];
  }
};

inline const Ziggurat& ziggurat() {
  static const Ziggurat z;
  return z;
}

}  // namespace detail

inline Rng::ZigguratDraw Rng::ziggurat_draw() {
  const std::uint64_t bits = next_u64();
  // The layer from the low bits; u uniform on (-1, 1) from the top 53.
  return {static_cast<int>(bits & (detail::Ziggurat::kLayers - 1)),
          2.0 * ((static_cast<double>(bits >> 11) + 0.5) * 0x1.0p-53) - 1.0};
}

// The rectangle test is all that 98.8% of draws need: kept small enough to
// inline where normals are drawn; the rest (tail, wedge, rejection and the
// draws after it) is a call away.
inline double Rng::standard_normal() {
  const detail::Ziggurat& z = detail::ziggurat();
  const ZigguratDraw d = ziggurat_draw();
  if (std::fabs(d.u) < z.ratio[d.layer]) return d.u * z.x[d.layer];  // inside the rectangle
  return normal_outside_rectangle(d.layer, d.u);
}

// A draw outside its layer's rectangle: the tail beyond R, or the wedge
// between the rectangle and the curve; a rejected one draws again.
[[gnu::noinline]] inline double Rng::normal_outside_rectangle(int layer, double u) {
  const detail::Ziggurat& z = detail::ziggurat();
  for (;;) {
    if (layer == 0) {  // the tail beyond R (Marsaglia 1964)
      double a, b;
      do {
        a = -std::log(uniform_open01()) / detail::Ziggurat::kR;
        b = -std::log(uniform_open01());
      } while (b + b < a * a);
      return u > 0 ? detail::Ziggurat::kR + a : -(detail::Ziggurat::kR + a);
    }
    const double xx = u * z.x[layer];
    const double f0 = std::exp(-0.5 * (z.x[layer] * z.x[layer] - xx * xx));
    const double f1 = std::exp(-0.5 * (z.x[layer + 1] * z.x[layer + 1] - xx * xx));
    if (f1 + uniform_open01() * (f0 - f1) < 1.0) return xx;
    const ZigguratDraw d = ziggurat_draw();  // rejected: draw again
    layer = d.layer;
    u = d.u;
    if (std::fabs(u) < z.ratio[layer]) return u * z.x[layer];
  }
}

}  // namespace stacksim
