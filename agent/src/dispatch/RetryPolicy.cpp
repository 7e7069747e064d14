#include <gp/agent/dispatch/RetryPolicy.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>

namespace gp::agent {

namespace {

/// base * 2^(attempt-1), or `cap` when that would exceed it. Works in unsigned integers so that
/// attempt 64 or 10,000 neither overflows nor goes through floating point.
std::uint64_t exponentialCeiling(std::uint64_t base, std::uint64_t cap, int attempt) {
    const int doublings = std::max(attempt, 1) - 1;
    if (base == 0) {
        return 0;
    }
    if (doublings >= std::numeric_limits<std::uint64_t>::digits) {
        return cap;
    }
    // base << doublings exceeds cap exactly when base > cap >> doublings.
    if (base > (cap >> doublings)) {
        return cap;
    }
    return base << doublings;
}

} // namespace

RetryPolicy::RetryPolicy(RetryPolicySettings settings) : m_settings(settings) {}

Milliseconds RetryPolicy::delayBeforeNextAttempt(int attempt, messaging::ids::RandomSource& random,
                                                 std::optional<Milliseconds> retryAfter,
                                                 std::optional<Milliseconds> baseOverride) const {
    const auto base = static_cast<std::uint64_t>(
        std::max<Milliseconds::rep>(baseOverride.value_or(m_settings.baseDelay).count(), 0));
    // A cap below the base would make the interval empty; the base is the smallest wait we allow.
    const auto cap = std::max(base, static_cast<std::uint64_t>(std::max<Milliseconds::rep>(
                                        m_settings.maxDelay.count(), 0)));
    const std::uint64_t upper = exponentialCeiling(base, cap, attempt);

    // Full jitter: every value in [base, upper] is equally likely, so clients that failed together
    // spread out instead of retrying in lock-step. The modulo bias is below 2^-40 for any
    // interval measured in milliseconds, which nobody can observe.
    const std::uint64_t span = upper - base;
    std::uint64_t offset = 0;
    if (span == std::numeric_limits<std::uint64_t>::max()) {
        offset = random.nextU64();
    } else if (span > 0) {
        offset = random.nextU64() % (span + 1);
    }
    const std::uint64_t jittered = base + offset;
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<Milliseconds::rep>::max());
    Milliseconds delay(static_cast<Milliseconds::rep>(std::min(jittered, limit)));

    // The server said when it can take the message again: never come back sooner, even when that
    // is beyond our own cap, because an earlier attempt would only be turned away again.
    if (retryAfter && *retryAfter > delay) {
        delay = *retryAfter;
    }
    return delay;
}

} // namespace gp::agent
