#pragma once
// The one source of randomness in crh. Seeded, and portable across standard libraries: it uses
// std::mt19937_64 (whose output sequence the standard fixes) and its own range reduction, never
// std::uniform_int_distribution, std::random_device or the wall clock. A seed therefore replays a
// run exactly, on any machine.

#include <cstdint>
#include <random>
#include <string_view>

namespace crh {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : seed_(seed), gen_(seed) {}

  uint64_t seed() const { return seed_; }
  uint64_t Next() { return gen_(); }

  // Uniform in [lo, hi] (inclusive). Requires lo <= hi.
  uint64_t UniformInt(uint64_t lo, uint64_t hi) {
    const uint64_t span = hi - lo + 1;
    if (span == 0) return lo + Next();  // the full 64-bit range
    // Rejection sampling keeps it unbiased and deterministic.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % span;
    uint64_t x;
    do {
      x = Next();
    } while (x >= limit);
    return lo + x % span;
  }

  // True with probability p (clamped to [0, 1]).
  bool Bernoulli(double p) {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p;
  }

  // An independent stream derived from this seed and a label, so adding draws in one component
  // does not shift the draws of another.
  SimRandom Fork(std::string_view label) const {
    uint64_t h = 1469598103934665603ull ^ seed_;  // FNV-1a over the label
    for (char c : label) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ull;
    }
    return SimRandom(h);
  }

 private:
  uint64_t seed_;
  std::mt19937_64 gen_;
};

}  // namespace crh
