#include <gp/mock/FaultPlan.hpp>
#include <gp/mock/FaultRule.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;

TEST_SUITE("spine-mock") {

    TEST_CASE("forward-leg fault rules are read, written and kept apart from inbound ones") {
        const auto lost = parseFaultRule(
            R"({"interaction":"COPC_IN000001UK01","times":2,"leg":"forward","fault":{"type":"lostReply"}})");
        REQUIRE(lost.ok());
        CHECK((lost->leg == Leg::Forward));
        CHECK((lost->fault.type == Fault::Type::LostReply));
        CHECK(
            toJson(*lost) ==
            R"({"interaction":"COPC_IN000001UK01","times":2,"leg":"forward","fault":{"type":"lostReply"}})");
        const auto http = parseFaultRule(
            R"({"interaction":"*","leg":"forward","fault":{"type":"http","status":500}})");
        REQUIRE(http.ok());
        CHECK(http->fault.status == 500);
        CHECK((parseFaultRule(R"({"interaction":"*","leg":"forward","fault":{"type":"duplicate"}})")
                   ->fault.type == Fault::Type::Duplicate));
        const auto inbound =
            parseFaultRule(R"({"interaction":"*","leg":"inbound","fault":{"type":"reset"}})");
        REQUIRE(inbound.ok());
        CHECK((inbound->leg == Leg::Inbound));
        CHECK(toJson(*inbound) == R"({"interaction":"*","times":1,"fault":{"type":"reset"}})");

        FaultPlan plan;
        plan.add(*lost);
        plan.add(*inbound);
        CHECK((plan.take("COPC_IN000001UK01", Leg::Inbound)->type == Fault::Type::Reset));
        CHECK_FALSE(plan.take("COPC_IN000001UK01", Leg::Inbound).has_value());
        CHECK((plan.take("COPC_IN000001UK01", Leg::Forward)->type == Fault::Type::LostReply));
        CHECK_FALSE(plan.take("RCMR_IN030000UK06", Leg::Forward).has_value());
        CHECK(plan.take("COPC_IN000001UK01", Leg::Forward).has_value());
        CHECK(plan.list().empty());
    }

    TEST_CASE("bad leg rules are refused naming the field") {
        const auto leg =
            parseFaultRule(R"({"interaction":"*","leg":"sideways","fault":{"type":"reset"}})");
        REQUIRE_FALSE(leg.ok());
        CHECK(leg.error().describe() == "leg: must be inbound or forward");

        const auto hang = parseFaultRule(
            R"({"interaction":"*","leg":"forward","fault":{"type":"hang","seconds":1}})");
        REQUIRE_FALSE(hang.ok());
        CHECK(hang.error().describe() ==
              "fault.type: must be one of http, reset, lostReply, duplicate when leg is forward");

        const auto lostInbound =
            parseFaultRule(R"({"interaction":"*","fault":{"type":"lostReply"}})");
        REQUIRE_FALSE(lostInbound.ok());
        CHECK(lostInbound.error().where == "fault.type");

        const auto status =
            parseFaultRule(R"({"interaction":"*","leg":"forward","fault":{"type":"http"}})");
        REQUIRE_FALSE(status.ok());
        CHECK(status.error().describe() == "fault.status: is required");
    }

} // TEST_SUITE
