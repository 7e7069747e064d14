#include "FixedRandom.hpp"
#include "SeededRandom.hpp"

#include <gp/agent/dispatch/RetryPolicy.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>

using gp::agent::Milliseconds;
using gp::agent::RetryPolicy;
using gp::agent::RetryPolicySettings;
using gp::test::FixedRandom;

namespace {

RetryPolicy policy(long long base, long long cap) {
    return RetryPolicy(RetryPolicySettings{Milliseconds(base), Milliseconds(cap)});
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("RetryPolicy keeps every delay within base and the capped exponential ceiling") {
        const RetryPolicy retry = policy(1000, 60000);
        gp::test::SeededRandom random(7);
        for (int attempt = 1; attempt <= 64; ++attempt) {
            const long long ceiling =
                attempt >= 8 ? 60000 : std::min(60000LL, 1000LL << (attempt - 1));
            for (int draw = 0; draw < 50; ++draw) {
                const Milliseconds delay =
                    retry.delayBeforeNextAttempt(attempt, random, std::nullopt);
                CHECK(delay.count() >= 1000);
                CHECK(delay.count() <= ceiling);
            }
        }
    }

    TEST_CASE("RetryPolicy first attempt waits exactly the base") {
        gp::test::SeededRandom random;
        CHECK(policy(1000, 60000).delayBeforeNextAttempt(1, random, std::nullopt) ==
              Milliseconds(1000));
        // Attempt 0 or below is treated as the first, not as a negative shift.
        CHECK(policy(1000, 60000).delayBeforeNextAttempt(0, random, std::nullopt) ==
              Milliseconds(1000));
    }

    TEST_CASE("RetryPolicy full jitter spans the whole interval") {
        const RetryPolicy retry = policy(1000, 60000);
        gp::test::SeededRandom random(2026);
        long long smallest = std::numeric_limits<long long>::max();
        long long largest = 0;
        for (int draw = 0; draw < 1000; ++draw) {
            const long long delay = retry.delayBeforeNextAttempt(4, random, std::nullopt).count();
            smallest = std::min(smallest, delay);
            largest = std::max(largest, delay);
        }
        // Attempt 4: [1000, 8000]. 1000 uniform draws land within 1% of both ends.
        CHECK(smallest >= 1000);
        CHECK(smallest < 1070);
        CHECK(largest <= 8000);
        CHECK(largest > 7930);
    }

    TEST_CASE("RetryPolicy maps the random value onto the interval ends") {
        const RetryPolicy retry = policy(1000, 60000);
        FixedRandom low(0);
        CHECK(retry.delayBeforeNextAttempt(3, low, std::nullopt) == Milliseconds(1000));
        FixedRandom high(3000); // 3000 % (4000 - 1000 + 1) == 3000
        CHECK(retry.delayBeforeNextAttempt(3, high, std::nullopt) == Milliseconds(4000));
    }

    TEST_CASE("RetryPolicy honours Retry-After as a floor, even above the cap") {
        const RetryPolicy retry = policy(1000, 60000);
        FixedRandom low(0);
        CHECK(retry.delayBeforeNextAttempt(1, low, Milliseconds(30000)) == Milliseconds(30000));
        CHECK(retry.delayBeforeNextAttempt(1, low, Milliseconds(120000)) == Milliseconds(120000));
        // A Retry-After shorter than the jittered wait does not shorten it.
        FixedRandom high(std::numeric_limits<std::uint64_t>::max());
        const Milliseconds jittered = retry.delayBeforeNextAttempt(10, high, std::nullopt);
        CHECK(retry.delayBeforeNextAttempt(10, high, Milliseconds(1)) == jittered);
    }

    TEST_CASE("RetryPolicy saturates instead of overflowing for huge attempts and delays") {
        gp::test::SeededRandom random;
        const RetryPolicy retry = policy(1000, 60000);
        for (const int attempt : {63, 64, 65, 1000, std::numeric_limits<int>::max()}) {
            const Milliseconds delay = retry.delayBeforeNextAttempt(attempt, random, std::nullopt);
            CHECK(delay.count() >= 1000);
            CHECK(delay.count() <= 60000);
        }
        // A cap at the type's limit: the shifted base would overflow long before attempt 64.
        const RetryPolicy huge = policy(std::numeric_limits<long long>::max() / 2,
                                        std::numeric_limits<long long>::max());
        FixedRandom high(std::numeric_limits<std::uint64_t>::max());
        const Milliseconds delay = huge.delayBeforeNextAttempt(64, high, std::nullopt);
        CHECK(delay.count() >= std::numeric_limits<long long>::max() / 2);
    }

    TEST_CASE("RetryPolicy with a cap below the base waits the base") {
        gp::test::SeededRandom random;
        CHECK(policy(5000, 1000).delayBeforeNextAttempt(3, random, std::nullopt) ==
              Milliseconds(5000));
    }

    TEST_CASE("RetryPolicy gives an e-RS message with retryInterval 1 s the 1 s, 2 s, 4 s ranges") {
        // The agent's own base is longer; the message's 1 s is what counts for e-RS.
        const RetryPolicy retry = policy(5000, 60000);
        const Milliseconds oneSecond(1000);
        FixedRandom low(0);
        const long long ceilings[] = {1000, 2000, 4000, 8000};
        for (int attempt = 1; attempt <= 4; ++attempt) {
            CAPTURE(attempt);
            CHECK(retry.delayBeforeNextAttempt(attempt, low, std::nullopt, oneSecond) == oneSecond);
            gp::test::SeededRandom random(static_cast<std::uint64_t>(attempt));
            long long largest = 0;
            for (int draw = 0; draw < 2000; ++draw) {
                const Milliseconds delay =
                    retry.delayBeforeNextAttempt(attempt, random, std::nullopt, oneSecond);
                CHECK(delay >= oneSecond);
                CHECK(delay.count() <= ceilings[attempt - 1]);
                largest = std::max(largest, static_cast<long long>(delay.count()));
            }
            CHECK(largest > ceilings[attempt - 1] * 95 / 100);
        }
        // A 429's Retry-After: 2 wins over the 1 s draw.
        CHECK(retry.delayBeforeNextAttempt(1, low, Milliseconds(2000), oneSecond) ==
              Milliseconds(2000));
    }
} // TEST_SUITE
