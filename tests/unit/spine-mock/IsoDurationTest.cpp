#include <gp/mock/IsoDuration.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;
using std::chrono::milliseconds;

TEST_SUITE("spine-mock") {

    TEST_CASE("ISO 8601 durations as SDS publishes them are read") {
        struct Case {
            const char* text;
            long long millis;
        };
        const Case cases[] = {
            {"PT1M", 60'000},          {"PT4H10M", 15'000'000}, {"PT7H", 25'200'000},
            {"PT4M", 240'000},         {"PT0.25S", 250},        {"P1DT1S", 86'401'000},
            {"PT1H1M1.5S", 3'661'500}, {"P8D", 691'200'000},    {"PT0S", 0},
        };
        for (const auto& c : cases) {
            CAPTURE(c.text);
            const auto duration = parseIsoDuration(c.text, "key");
            REQUIRE(duration.ok());
            CHECK(duration->value == milliseconds(c.millis));
            CHECK(duration->text == c.text);
        }
    }

    TEST_CASE("malformed durations are refused naming the key") {
        for (const char* text : {"", "P", "PT", "1M", "PT1", "P1H", "PT1D", "PT1M1H", "PT1M1M",
                                 "P1Y", "PT1.5M", "PT0.0001S", "PT-1S", "PT1MS", "P1DT"}) {
            CAPTURE(text);
            const auto duration = parseIsoDuration(text, "mock.forwardRetryDelay");
            REQUIRE_FALSE(duration.ok());
            CHECK(duration.error().where == "mock.forwardRetryDelay");
        }
        CHECK(parseIsoDuration("5m", "k").error().message ==
              "must be an ISO 8601 duration such as PT1M or PT4H10M, not '5m'");
    }

} // TEST_SUITE
