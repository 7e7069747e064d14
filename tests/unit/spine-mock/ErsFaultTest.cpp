#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

FaultRule rule(const std::string& json) {
    auto parsed = parseFaultRule(json);
    REQUIRE(parsed.ok());
    return *parsed;
}

MockRequest createRequest() {
    return ersRequest("POST", "/ReferralRequest/$ers.createReferral",
                      createBody(kValidNhsNumber, {"10000001"}));
}

std::vector<std::string> outcomes(ErsFixture& ers) {
    auto journal = ers.store->journal(kCorrelationId);
    REQUIRE(journal.ok());
    std::vector<std::string> seen;
    for (const auto& entry : *journal) {
        seen.push_back(entry.interaction + " " + entry.outcome + " " + entry.replyCode);
    }
    return seen;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE(
        "an e-RS 503 fault answers an OperationOutcome with Retry-After and creates nothing") {
        ErsFixture ers;
        ers.faults.add(rule(
            R"({"interaction":"A011","times":2,"fault":{"type":"http","status":503,"retryAfter":3}})"));
        for (int i = 0; i < 2; ++i) {
            const auto reply = ers.reply(createRequest());
            CHECK(reply.status == 503);
            CHECK(replyHeader(reply, "Retry-After") == "3");
            CHECK(replyHeader(reply, "X-Correlation-ID") == kCorrelationId);
            CHECK(errorCode(reply) == "SERVICE_UNAVAILABLE");
        }
        CHECK(ers.adminReferrals()->size() == 0);
        CHECK(ers.reply(createRequest()).status == 201);
        CHECK(outcomes(ers) ==
              std::vector<std::string>{"A011 fault 503", "A011 fault 503", "A011 processed 201"});
    }

    TEST_CASE("an e-RS 504 fault is PAS_NOT_RESPONDING") {
        ErsFixture ers;
        ers.faults.add(rule(R"({"interaction":"*","fault":{"type":"http","status":504}})"));
        const auto reply = ers.reply(createRequest());
        CHECK(reply.status == 504);
        CHECK(errorCode(reply) == "PAS_NOT_RESPONDING");
        CHECK(replyHeader(reply, "Retry-After").empty());
    }

    TEST_CASE("resetAfterProcessing creates the referral, then resets the connection") {
        ErsFixture ers;
        ers.faults.add(rule(R"({"interaction":"A011","fault":{"type":"resetAfterProcessing"}})"));
        const auto action = ers.ers->handle(createRequest());
        CHECK(action.kind == MockAction::Kind::Reset);
        const auto referrals = ers.adminReferrals(kCorrelationId);
        REQUIRE(referrals->size() == 1);
        CHECK(outcomes(ers) ==
              std::vector<std::string>{"A011 processed 201", "A011 fault resetAfterProcessing"});

        // The client's lookup by its correlation id finds what it cannot have seen.
        auto lookup = ersRequest("POST", "/ReferralRequest/$ers.fetchworklist",
                                 worklistBody("AWAITING_BOOKING"));
        lookup.queryParameters.emplace_back("correlationId", kCorrelationId);
        const auto found = json(ers.reply(lookup).body)->getArray("entry");
        REQUIRE(found->size() == 1);
        CHECK(found->getObject(0)->getObject("item")->getValue<std::string>("reference") ==
              "ReferralRequest/" + referrals->getObject(0)->getValue<std::string>("ubrn"));
    }

    TEST_CASE("a plain reset fault resets before processing: no referral") {
        ErsFixture ers;
        ers.faults.add(rule(R"({"interaction":"A011","fault":{"type":"reset"}})"));
        CHECK(ers.ers->handle(createRequest()).kind == MockAction::Kind::Reset);
        CHECK(ers.adminReferrals()->size() == 0);
        CHECK(outcomes(ers) == std::vector<std::string>{"A011 fault reset"});
    }

    TEST_CASE("e-RS hang and delay faults wait through the waiter") {
        ErsFixture ers;
        ers.faults.add(rule(R"({"interaction":"A011","fault":{"type":"hang","seconds":2}})"));
        ers.faults.add(rule(R"({"interaction":"A011","fault":{"type":"delay","ms":250}})"));
        CHECK(ers.ers->handle(createRequest()).kind == MockAction::Kind::Close);
        CHECK(ers.adminReferrals()->size() == 0);
        CHECK(ers.reply(createRequest()).status == 201);
        REQUIRE(ers.waiter.waits.size() == 2);
        CHECK(ers.waiter.waits[0].count() == 2000);
        CHECK(ers.waiter.waits[1].count() == 250);
    }

    TEST_CASE("an e-RS fault applies only to the operation it names") {
        ErsFixture ers;
        ers.faults.add(rule(R"({"interaction":"A005","fault":{"type":"http","status":503}})"));
        const auto ubrn = ers.create();
        CHECK(ers.reply(ersRequest("GET", "/ReferralRequest/" + ubrn, {}, "")).status == 503);
        CHECK(ers.reply(ersRequest("GET", "/ReferralRequest/" + ubrn, {}, "")).status == 200);
    }

    TEST_CASE("resetAfterProcessing round-trips through the fault rule JSON") {
        const auto parsed =
            rule(R"({"interaction":"A012","fault":{"type":"resetAfterProcessing"}})");
        CHECK(toString(parsed.fault.type) == "reset");
        CHECK(parsed.fault.afterProcessing);
        CHECK(toJson(parsed) ==
              R"({"interaction":"A012","times":1,"fault":{"type":"resetAfterProcessing"}})");
        CHECK_FALSE(
            rule(R"({"interaction":"A012","fault":{"type":"reset"}})").fault.afterProcessing);
    }
}
