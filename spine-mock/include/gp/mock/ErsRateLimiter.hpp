#pragma once

#include <gp/mock/Clock.hpp>

#include <cstdint>
#include <mutex>

namespace gp::mock {

/// e-RS's per-application rate limit as a token bucket on the injected clock: it holds one
/// second's worth of requests and refills continuously, so a burst of `perSecond` requests is
/// allowed and then one every 1/perSecond seconds. Thread-safe.
class ErsRateLimiter {
public:
    /// perSecond 0 allows everything.
    ErsRateLimiter(int perSecond, const Clock& clock);

    /// Uses up one request's token: false when none is left (answer 429).
    bool tryAcquire();

private:
    const Clock& m_clock;
    const std::int64_t m_perSecond;
    std::mutex m_mutex;
    // Thousandths of a token, so that refilling needs no floating point.
    std::int64_t m_milliTokens;
    TimePoint m_refilledAt;
};

} // namespace gp::mock
