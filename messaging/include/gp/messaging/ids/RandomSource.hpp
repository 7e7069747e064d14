#pragma once

#include <cstdint>

namespace gp::messaging::ids {

/// Where identifiers get their randomness. The agent passes a cryptographic source; tests pass a
/// seeded one so that generated ids are reproducible.
class RandomSource {
public:
    virtual ~RandomSource() = default;
    virtual std::uint64_t nextU64() = 0;
};

} // namespace gp::messaging::ids
