#include "MockTestSupport.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/EpsRules.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using namespace gp::mock;

namespace {

// The XPath queries the facts were read with before they were read in one pass: what the mock
// accepts is pinned to what these select.
struct ReferenceFacts {
    std::optional<std::string> prescriptionId, nhsNumber, senderAsid, receiverAsid;
    std::size_t lineItems = 0;
    std::vector<std::string> lineItemIds;
    std::optional<std::string> cancelPrescriptionId, cancelLineItemId, cancelNhsNumber,
        cancellationId, reasonCode;
};

ReferenceFacts referenceFacts(const std::string& payload) {
    auto document = gp::messaging::xml::parse(payload);
    REQUIRE(document.ok());
    ReferenceFacts facts;
    facts.prescriptionId = document->text(
        "//hl7:pertinentPrescription/hl7:id[@root='2.16.840.1.113883.2.1.3.2.4.18.8']/@extension");
    facts.nhsNumber = document->text(
        "//hl7:recordTarget/hl7:Patient/hl7:id[@root='2.16.840.1.113883.2.1.4.1']/@extension");
    facts.lineItems = document->count("//hl7:pertinentLineItem");
    facts.lineItemIds = document->texts("//hl7:pertinentLineItem/hl7:id/@root");
    facts.senderAsid =
        document->text("//hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension");
    facts.receiverAsid =
        document->text("//hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension");
    facts.cancelPrescriptionId =
        document->text("//hl7:CancellationRequest//hl7:pertinentPrescriptionID/"
                       "hl7:value[@root='2.16.840.1.113883.2.1.3.2.4.18.8']/@extension");
    facts.cancelLineItemId =
        document->text("//hl7:CancellationRequest//hl7:pertinentLineItemRef/hl7:id/@root");
    facts.cancelNhsNumber = document->text("//hl7:CancellationRequest/hl7:recordTarget/hl7:Patient/"
                                           "hl7:id[@root='2.16.840.1.113883.2.1.4.1']/@extension");
    facts.cancellationId = document->text("//hl7:CancellationRequest/hl7:id/@root");
    facts.reasonCode = document->text(
        "//hl7:CancellationRequest//hl7:pertinentCancellationReason/hl7:value/@code");
    return facts;
}

void checkSameAsXPath(const std::string& payload) {
    const ReferenceFacts expected = referenceFacts(payload);
    const auto prescription = readPrescriptionFacts(payload);
    REQUIRE(prescription.ok());
    CHECK(prescription->prescriptionId == expected.prescriptionId);
    CHECK(prescription->nhsNumber == expected.nhsNumber);
    CHECK(prescription->lineItems == expected.lineItems);
    CHECK(prescription->lineItemIds == expected.lineItemIds);
    CHECK(prescription->senderAsid == expected.senderAsid.value_or(""));
    CHECK(prescription->receiverAsid == expected.receiverAsid.value_or(""));
    const auto cancellation = readCancellationFacts(payload);
    REQUIRE(cancellation.ok());
    CHECK(cancellation->prescriptionId == expected.cancelPrescriptionId);
    CHECK(cancellation->lineItemId == expected.cancelLineItemId);
    CHECK(cancellation->nhsNumber == expected.cancelNhsNumber);
    CHECK(cancellation->cancellationId == expected.cancellationId.value_or(""));
    CHECK(cancellation->reasonCode == expected.reasonCode.value_or(""));
    CHECK(cancellation->senderAsid == expected.senderAsid.value_or(""));
    CHECK(cancellation->receiverAsid == expected.receiverAsid.value_or(""));
}

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

    TEST_CASE("facts are what spine-mock's XPath queries selected, wherever the elements are") {
        SUBCASE("a ParentPrescription as the agent writes it") {
            test::RequestSpec spec;
            spec.items = 4;
            checkSameAsXPath(gp::messaging::eps::buildParentPrescription(
                test::prescription(spec),
                {spec.messageId, std::chrono::sys_seconds{}, "200000000359", "990101234567"}));
        }
        SUBCASE("a CancellationRequest as the agent writes it") {
            gp::messaging::eps::CancellationRequest request;
            request.cancellationId = "D1E2F3A4-B5C6-4D7E-8F90-A1B2C3D4E5F6";
            request.prescriptionId = test::kValidPrescriptionId;
            request.lineItemId = "B1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C50";
            request.reasonCode = "0001";
            request.nhsNumber = test::kValidNhsNumber;
            request.prescriber = {"A83008", "555086689106", "555086718101", "DR A PRESCRIBER",
                                  "G1234567"};
            request.organisation = {"A83008", "TEST PRACTICE"};
            checkSameAsXPath(gp::messaging::eps::buildCancellationRequest(
                request, {"3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7C", std::chrono::sys_seconds{},
                          "200000000359", "990101234567"}));
        }
        SUBCASE("decoys: other namespaces, other roots, missing attributes, nesting, order") {
            checkSameAsXPath(
                "<PORX xmlns=\"urn:hl7-org:v3\" xmlns:o=\"urn:other\">"
                "<communicationFunctionRcv><o:device><id extension=\"DECOY\"/></o:device>"
                "<device><id root=\"1.2\"/><id extension=\"RCV&amp;1\"/></device>"
                "</communicationFunctionRcv>"
                "<communicationFunctionSnd><x><device><id extension=\"NESTED\"/></device></x>"
                "</communicationFunctionSnd>"
                "<o:pertinentPrescription><id root=\"2.16.840.1.113883.2.1.3.2.4.18.8\" "
                "extension=\"FOREIGN\"/></o:pertinentPrescription>"
                "<x><pertinentPrescription><id root=\"other\" extension=\"WRONGROOT\"/>"
                "<id root=\"2.16.840.1.113883.2.1.3.2.4.18.8\"/>"
                "<id root=\"2.16.840.1.113883.2.1.3.2.4.18.8\" extension=\"SECOND\"/>"
                "</pertinentPrescription></x>"
                "<recordTarget><o:Patient><id root=\"2.16.840.1.113883.2.1.4.1\" "
                "extension=\"FOREIGNPATIENT\"/></o:Patient></recordTarget>"
                "<recordTarget><Patient><id o:root=\"2.16.840.1.113883.2.1.4.1\" "
                "extension=\"NSROOT\"/><id root=\"2.16.840.1.113883.2.1.4.1\" "
                "extension=\"9434765919\"/></Patient></recordTarget>"
                "<pertinentLineItem><id root=\"L1\"/><pertinentLineItem><id/><id root=\"L2\"/>"
                "</pertinentLineItem></pertinentLineItem>"
                "<o:pertinentLineItem><id root=\"FOREIGN\"/></o:pertinentLineItem>"
                "<pertinentPrescriptionID><value root=\"2.16.840.1.113883.2.1.3.2.4.18.8\" "
                "extension=\"OUTSIDE\"/></pertinentPrescriptionID>"
                "<id root=\"NOT-IN-A-CANCELLATION\"/>"
                "<CancellationRequest><a><recordTarget><Patient>"
                "<id root=\"2.16.840.1.113883.2.1.4.1\" extension=\"DEEP\"/>"
                "</Patient></recordTarget></a>"
                "<id extension=\"NOROOT\"/><id root=\"CANCEL-ID\"/></CancellationRequest>"
                "<CancellationRequest><recordTarget><Patient>"
                "<id root=\"2.16.840.1.113883.2.1.4.1\" extension=\"DIRECT\"/>"
                "</Patient></recordTarget>"
                "<a><pertinentPrescriptionID><value root=\"x\" extension=\"WRONGROOT\"/>"
                "<value root=\"2.16.840.1.113883.2.1.3.2.4.18.8\" extension=\"INSIDE\"/>"
                "</pertinentPrescriptionID></a>"
                "<pertinentLineItemRef><id/><id root=\"ITEM\"/></pertinentLineItemRef>"
                "<pertinentCancellationReason><value/><value code=\"0002\"/>"
                "</pertinentCancellationReason></CancellationRequest></PORX>");
        }
        SUBCASE("nothing of interest") {
            checkSameAsXPath("<PORX xmlns=\"urn:hl7-org:v3\"><id root=\"x\"/></PORX>");
        }
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
