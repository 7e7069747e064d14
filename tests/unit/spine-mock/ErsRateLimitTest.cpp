#include "ErsTestSupport.hpp"

#include <gp/mock/ErsRateLimiter.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

TEST_SUITE("spine-mock") {

    TEST_CASE("the e-RS rate limiter allows a second's burst, then refills with the clock") {
        ManualClock clock;
        ErsRateLimiter limiter(2, clock);
        CHECK(limiter.tryAcquire());
        CHECK(limiter.tryAcquire());
        CHECK_FALSE(limiter.tryAcquire());
        clock.advance(std::chrono::milliseconds(499));
        CHECK_FALSE(limiter.tryAcquire());
        clock.advance(std::chrono::milliseconds(1));
        CHECK(limiter.tryAcquire());
        CHECK_FALSE(limiter.tryAcquire());
        // A long quiet spell refills only up to one second's worth.
        clock.advance(std::chrono::seconds(10));
        CHECK(limiter.tryAcquire());
        CHECK(limiter.tryAcquire());
        CHECK_FALSE(limiter.tryAcquire());
    }

    TEST_CASE("the e-RS rate limiter counts calls less than a millisecond apart") {
        ManualClock clock;
        ErsRateLimiter limiter(1000, clock);
        for (int i = 0; i < 1000; ++i) {
            REQUIRE(limiter.tryAcquire());
        }
        CHECK_FALSE(limiter.tryAcquire());
        clock.advance(std::chrono::milliseconds(1));
        CHECK(limiter.tryAcquire());
        CHECK_FALSE(limiter.tryAcquire());
    }

    TEST_CASE("a rate limit of 0 allows everything") {
        ManualClock clock;
        ErsRateLimiter limiter(0, clock);
        for (int i = 0; i < 100; ++i) {
            REQUIRE(limiter.tryAcquire());
        }
    }

    TEST_CASE("over the rate limit e-RS answers 429 with Retry-After 1 and creates nothing") {
        ErsFixture ers(2);
        const auto body = createBody(kValidNhsNumber, {"10000001"});
        const auto request = ersRequest("POST", "/ReferralRequest/$ers.createReferral", body);
        CHECK(ers.reply(request).status == 201);
        CHECK(ers.reply(request).status == 201);
        const auto throttled = ers.reply(request);
        CHECK(throttled.status == 429);
        CHECK(replyHeader(throttled, "Retry-After") == "1");
        CHECK(replyHeader(throttled, "X-Correlation-ID") == kCorrelationId);
        CHECK(errorCode(throttled) == "TOO_MANY_REQUESTS");
        const auto issue = json(throttled.body)->getArray("issue")->getObject(0);
        CHECK(issue->getValue<std::string>("code") == "throttled");
        CHECK(ers.adminReferrals()->size() == 2);

        auto journal = ers.store->journal(kCorrelationId);
        REQUIRE(journal.ok());
        REQUIRE(journal->size() == 3);
        CHECK(journal->back().outcome == "rejected");
        CHECK(journal->back().replyCode == "429");

        ers.clock.advance(std::chrono::seconds(1));
        CHECK(ers.reply(request).status == 201);
        CHECK(ers.adminReferrals()->size() == 3);
    }

    TEST_CASE("mock.ers.rateLimit defaults to 10 and is checked") {
        std::vector<std::string> warnings;
        Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
        config->setString("mock.stateDir", "/tmp/unused");
        auto parsed = MockConfig::fromConfiguration(*config, warnings);
        REQUIRE(parsed.ok());
        CHECK(parsed->ersRateLimit == 10);
        CHECK(warnings.empty());

        config->setString("mock.ers.rateLimit", "0");
        parsed = MockConfig::fromConfiguration(*config, warnings);
        REQUIRE(parsed.ok());
        CHECK(parsed->ersRateLimit == 0);

        config->setString("mock.ers.rateLimit", "fast");
        parsed = MockConfig::fromConfiguration(*config, warnings);
        REQUIRE_FALSE(parsed.ok());
        CHECK(parsed.error().where == "mock.ers.rateLimit");
        CHECK(parsed.error().message == "must be a whole number from 0 to 100000, not 'fast'");
    }
}
