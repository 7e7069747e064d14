#pragma once

#include "SeededRandom.hpp"

#include <gp/agent/Clock.hpp>

#include <atomic>

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

} // namespace gp::test
