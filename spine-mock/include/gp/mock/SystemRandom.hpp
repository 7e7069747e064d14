#pragma once

#include <gp/messaging/ids/RandomSource.hpp>

#include <cstdint>
#include <mutex>
#include <random>

namespace gp::mock {

/// Randomness for the ids spine-mock makes up (reply MessageIds). It need not be cryptographic:
/// the mock's ids only have to be unique, not unguessable.
class SystemRandom final : public messaging::ids::RandomSource {
public:
    SystemRandom() : m_engine(seed()) {}

    std::uint64_t nextU64() override {
        std::lock_guard lock(m_mutex);
        return m_engine();
    }

private:
    static std::uint64_t seed() {
        std::random_device device;
        return (std::uint64_t{device()} << 32) ^ device();
    }

    std::mutex m_mutex;
    std::mt19937_64 m_engine;
};

} // namespace gp::mock
