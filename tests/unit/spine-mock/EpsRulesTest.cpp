#include "MockTestSupport.hpp"

#include <gp/mock/EpsRules.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;

namespace {

PrescriptionFacts goodFacts() {
    PrescriptionFacts facts;
    facts.prescriptionId = test::kValidPrescriptionId;
    facts.nhsNumber = test::kValidNhsNumber;
    facts.lineItems = 2;
    return facts;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("facts are read from a ParentPrescription payload by the mock's own XPath") {
        test::RequestSpec spec;
        spec.items = 3;
        const auto payload = gp::messaging::eps::buildParentPrescription(
            test::prescription(spec),
            {spec.messageId, std::chrono::sys_seconds{}, "200000000359", "990101234567"});
        const auto facts = readPrescriptionFacts(payload);
        REQUIRE(facts.ok());
        CHECK(facts->prescriptionId == std::optional<std::string>(test::kValidPrescriptionId));
        CHECK(facts->nhsNumber == std::optional<std::string>(test::kValidNhsNumber));
        CHECK(facts->lineItems == 3);
        CHECK(facts->senderAsid == "200000000359");
        CHECK(facts->receiverAsid == "990101234567");
    }

    TEST_CASE("a payload that is not XML cannot be read") {
        const auto facts = readPrescriptionFacts("<PORX_IN020101SM31>");
        REQUIRE_FALSE(facts.ok());
        CHECK(facts.error().where == "payload");
    }

    TEST_CASE("ParentPrescription rules give Spine's codes") {
        CHECK_FALSE(findRuleViolation(goodFacts()).has_value());

        auto facts = goodFacts();
        SUBCASE("bad check character is 5009") {
            facts.prescriptionId = "24F5DA-A83008-7EFE6Y";
            const auto outcome = findRuleViolation(facts);
            REQUIRE(outcome.has_value());
            CHECK(outcome->code == "5009");
            CHECK(outcome->displayName ==
                  "Invalid prescription ID: prescriptionId: has invalid check character");
        }
        SUBCASE("bad prescription id format is 5009") {
            facts.prescriptionId = "24F5DA-A83008";
            CHECK(findRuleViolation(facts)->code == "5009");
        }
        SUBCASE("missing prescription id is 5000") {
            facts.prescriptionId.reset();
            CHECK(findRuleViolation(facts)->code == "5000");
        }
        SUBCASE("invalid NHS number is 5000 saying so") {
            facts.nhsNumber = "9434765918";
            const auto outcome = findRuleViolation(facts);
            REQUIRE(outcome.has_value());
            CHECK(outcome->code == "5000");
            CHECK(outcome->displayName ==
                  "Unable to process message: information missing or invalid (nhsNumber is not "
                  "valid)");
        }
        SUBCASE("no line items is 5000") {
            facts.lineItems = 0;
            CHECK(findRuleViolation(facts)->displayName.find("no line items") != std::string::npos);
        }
        SUBCASE("five line items is 5000") {
            facts.lineItems = 5;
            CHECK(findRuleViolation(facts)->code == "5000");
        }
        SUBCASE("four line items is fine") {
            facts.lineItems = 4;
            CHECK_FALSE(findRuleViolation(facts).has_value());
        }
    }

    TEST_CASE("reply codes for the journal") {
        CHECK(acceptedOutcome().replyCode() == "AA");
        CHECK(duplicatePrescriptionOutcome().replyCode() == "0002");
    }

} // TEST_SUITE
