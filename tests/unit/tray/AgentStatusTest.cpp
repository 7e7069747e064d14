#include "TrayTestSupport.hpp"

#include <gp/tray/AgentStatus.hpp>

#include <doctest/doctest.h>

using gp::tray::parseAgentStatus;
using gp::tray::TokenScope;
using gp::tray::test::statusJson;

TEST_SUITE("tray") {
    TEST_CASE("a full status reply is read field by field") {
        const auto parsed = parseAgentStatus(statusJson(
            R"({"queued": 3, "sending": 1, "retry-wait": 2, "acked": 40, "failed": 1, "expired": 5})",
            R"("lastSentAt": "2026-11-21T09:58:00.000Z", "paused": true, "needsAttention": 6,)"
            R"( "oldestQueuedAgeSeconds": 12.5, "storage": {"state": "ok"},)"
            R"( "gp2gp": {"inProgress": 1, "failed": 0, "recordsReceived": 7}, "caller": {"name": "reception", "scope": "operate"})"));
        REQUIRE(parsed.status);
        const auto& s = *parsed.status;
        CHECK(s.counts.queued == 3);
        CHECK(s.counts.sending == 1);
        CHECK(s.counts.retryWait == 2);
        CHECK(s.counts.acked == 40);
        CHECK(s.counts.failed == 1);
        CHECK(s.counts.expired == 5);
        CHECK(s.paused);
        CHECK(s.needsAttention == 6);
        CHECK(s.oldestQueuedAgeSeconds == doctest::Approx(12.5));
        CHECK(s.gp2gpInProgress == 1);
        CHECK(s.gp2gpCompleted == 7);
        CHECK(s.scope == TokenScope::Operate);
        CHECK_FALSE(s.storageProblem); // "ok"
        REQUIRE(s.lastSentAt);
        CHECK(s.lastSentAt->toUTC().toString(Qt::ISODate) == "2026-11-21T09:58:00Z");
    }

    TEST_CASE("a status reply from an agent without the newer fields reads as defaults") {
        // Today's agent: counts of the states that have messages, and nothing else new.
        const auto parsed = parseAgentStatus(statusJson(R"({"acked": 2})"));
        REQUIRE(parsed.status);
        CHECK_FALSE(parsed.status->paused);
        CHECK_FALSE(parsed.status->needsAttention);
        CHECK_FALSE(parsed.status->gp2gpCompleted);
        CHECK_FALSE(parsed.status->lastSentAt);
        CHECK(parsed.status->counts.failed == 0);
        CHECK(parsed.status->scope == TokenScope::Unknown);
    }

    TEST_CASE("a status reply with a field of the wrong type is refused naming the field") {
        CHECK(parseAgentStatus(statusJson(R"({"failed": "two"})")).error ==
              "counts.failed is not a count (a number, 0 or more)");
        CHECK(parseAgentStatus(statusJson(R"({})", R"("paused": "yes")")).error ==
              "paused is not true or false");
        CHECK(parseAgentStatus(statusJson(R"({})", R"("lastSentAt": "yesterday")")).error ==
              "lastSentAt is not an ISO 8601 time");
        CHECK(parseAgentStatus(statusJson(R"({})", R"("gp2gp": {"inProgress": -1})")).error ==
              "gp2gp.inProgress is not a count (a number, 0 or more)");
        CHECK(parseAgentStatus(R"({"paused": false})").error ==
              "counts is missing or not an object");
        CHECK(parseAgentStatus("<html>").error.startsWith(
            "status reply is not a JSON object (byte "));
    }
}
