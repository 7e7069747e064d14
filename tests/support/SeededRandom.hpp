#pragma once

// Kept apart from TestDoubles.hpp so that suites which must not see the agent (messaging,
// spine-mock) can share the one seeded source.

#include <gp/messaging/ids/RandomSource.hpp>

#include <cstdint>

namespace gp::test {

/// Deterministic randomness (splitmix64), so generated ids repeat from run to run.
class SeededRandom final : public messaging::ids::RandomSource {
public:
    explicit SeededRandom(std::uint64_t seed = 42) : m_state(seed) {}

    std::uint64_t nextU64() override {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

private:
    std::uint64_t m_state;
};

} // namespace gp::test
