#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <atomic>
#include <cstdint>

namespace gp::test {

/// A clock that moves only when the test says so.
class ManualClock final : public agent::Clock {
public:
    explicit ManualClock(agent::TimePoint start = agent::fromEpochMillis(1'773'557'468'000))
        : m_millis(agent::toEpochMillis(start)) {}

    agent::TimePoint now() const override { return agent::fromEpochMillis(m_millis.load()); }
    void advance(agent::Milliseconds by) { m_millis += by.count(); }
    void set(agent::TimePoint to) { m_millis = agent::toEpochMillis(to); }

private:
    std::atomic<long long> m_millis;
};

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
