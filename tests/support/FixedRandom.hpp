#pragma once

#include <gp/messaging/ids/RandomSource.hpp>

#include <cstdint>

namespace gp::test {

/// Always returns the same value, to pin what ids and delays look like at the edges.
class FixedRandom final : public messaging::ids::RandomSource {
public:
    explicit FixedRandom(std::uint64_t value) : m_value(value) {}
    std::uint64_t nextU64() override { return m_value; }

private:
    std::uint64_t m_value;
};

} // namespace gp::test
