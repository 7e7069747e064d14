#pragma once

#include <gp/messaging/ids/RandomSource.hpp>

#include <mutex>
#include <random>

namespace gp::agent {

/// Randomness for ids and jitter in production: a generator seeded from the operating system's
/// entropy source. Thread-safe.
class SystemRandom final : public messaging::ids::RandomSource {
public:
    SystemRandom() {
        std::random_device device;
        std::seed_seq seed{device(), device(), device(), device(), device(), device()};
        m_engine.seed(seed);
    }

    std::uint64_t nextU64() override {
        std::lock_guard lock(m_mutex);
        return m_engine();
    }

private:
    std::mutex m_mutex;
    std::mt19937_64 m_engine;
};

} // namespace gp::agent
