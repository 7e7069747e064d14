#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <optional>

namespace gp::agent {

/// The one place that decides how long to wait before the next attempt.
/// Capped exponential backoff with full jitter: the wait is drawn uniformly from
/// [base, min(cap, base * 2^(attempt-1))]. A server's Retry-After, when given, is a floor.
struct RetryPolicySettings {
    Milliseconds baseDelay{1000};
    Milliseconds maxDelay{60000};
};

class RetryPolicy {
public:
    explicit RetryPolicy(RetryPolicySettings settings);

    /// `attempt` is the number of attempts already made (1 after the first failure).
    /// `baseOverride` is the recipient's own retry interval (SDS nhsMHSRetryInterval) when the
    /// message carries one; the cap then never falls below it.
    Milliseconds delayBeforeNextAttempt(int attempt, messaging::ids::RandomSource& random,
                                        std::optional<Milliseconds> retryAfter,
                                        std::optional<Milliseconds> baseOverride = {}) const;

private:
    RetryPolicySettings m_settings;
};

} // namespace gp::agent
