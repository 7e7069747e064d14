#include "Golden.hpp"

#include <gp/messaging/ers/ErsResources.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace gp::messaging::ers;

TEST_SUITE("messaging") {
    TEST_CASE("a ReferralRequest gives its UBRN, version, status, shortlist and letter") {
        auto referral = parseReferralRequest(gp::test::readGolden("ers_referral_request.json"));
        REQUIRE(referral.ok());
        CHECK(referral->ubrn == "000000091234");
        CHECK(referral->version == "4");
        CHECK(referral->status == "active");
        CHECK(referral->nhsNumber == "9449304130");
        CHECK(referral->serviceIds == std::vector<std::string>{"20431", "20587"});
        REQUIRE(referral->attachments.size() == 1);
        const auto& letter = referral->attachments.front();
        CHECK(letter.id == "5521");
        CHECK(letter.url == "Binary/att-91234-5521");
        CHECK(letter.title == "referral-letter.pdf");
        CHECK(letter.contentType == "application/pdf");
        CHECK(letter.size == 48213);
    }

    TEST_CASE("a ReferralRequest without meta.versionId takes the version from the ETag") {
        const std::string body =
            R"({"resourceType": "ReferralRequest", "id": "000000091235", "status": "draft"})";
        auto referral = parseReferralRequest(body, "W/\"1\"");
        REQUIRE(referral.ok());
        CHECK(referral->version == "1");
        CHECK(referral->attachments.empty());
        CHECK(referral->serviceIds.empty());
    }

    TEST_CASE("a ReferralRequest parser names what is wrong") {
        auto notJson = parseReferralRequest("<html>");
        REQUIRE_FALSE(notJson.ok());
        CHECK(notJson.error().message.rfind("not JSON", 0) == 0);

        auto wrongType = parseReferralRequest(R"({"resourceType": "OperationOutcome"})");
        REQUIRE_FALSE(wrongType.ok());
        CHECK(wrongType.error().where == "resourceType");
        CHECK(wrongType.error().message == "expected ReferralRequest, found 'OperationOutcome'");

        auto noId = parseReferralRequest(R"({"resourceType": "ReferralRequest"})");
        REQUIRE_FALSE(noId.ok());
        CHECK(noId.error().describe() == "id: is missing");

        auto badId = parseReferralRequest(R"({"resourceType": "ReferralRequest", "id": "R-1"})");
        REQUIRE_FALSE(badId.ok());
        CHECK(badId.error().describe() == "id: is not a UBRN (12 digits)");

        auto array = parseReferralRequest("[1, 2]");
        REQUIRE_FALSE(array.ok());
        CHECK(array.error().message == "not a JSON object");
    }

    TEST_CASE("an A010 List of services gives each id and name") {
        auto services = parseServiceSearch(gp::test::readGolden("ers_service_search_reply.json"));
        REQUIRE(services.ok());
        REQUIRE(services->size() == 2);
        CHECK((*services)[0].id == "20431");
        CHECK((*services)[0].name == "Leeds Dermatology Service");
        CHECK((*services)[1].id == "20587");
        CHECK((*services)[1].name == "Harrogate Skin Clinic");
    }

    TEST_CASE("a Bundle of HealthcareService is read too") {
        const std::string bundle = R"({"resourceType": "Bundle", "type": "searchset", "entry": [
            {"resource": {"resourceType": "HealthcareService", "id": "20431",
                          "name": "Leeds Dermatology Service"}},
            {"resource": {"resourceType": "OperationOutcome"}}]})";
        auto services = parseServiceSearch(bundle);
        REQUIRE(services.ok());
        REQUIRE(services->size() == 1);
        CHECK((*services)[0].id == "20431");
        CHECK((*services)[0].name == "Leeds Dermatology Service");

        auto wrong = parseServiceSearch(R"({"resourceType": "Patient"})");
        REQUIRE_FALSE(wrong.ok());
        CHECK(wrong.error().message == "expected List or Bundle, found 'Patient'");
    }

    TEST_CASE("an A008 worklist gives each referral's UBRN, patient, creation time and state") {
        auto entries = parseWorklist(gp::test::readGolden("ers_worklist_reply.json"));
        REQUIRE(entries.ok());
        REQUIRE(entries->size() == 2);
        CHECK((*entries)[0].ubrn == "000000091234");
        CHECK((*entries)[0].nhsNumber == "9449304130");
        CHECK((*entries)[0].createdAt == "2026-03-15T09:12:38.004Z");
        CHECK((*entries)[0].status == "NOT_BOOKED");
        CHECK((*entries)[0].correlationId == "5B1E2C3D-9A4F-4E21-8C7B-0D2E4F6A8B10:create:1");
        CHECK((*entries)[1].ubrn == "000000090877");
        CHECK((*entries)[1].correlationId.empty());
        CHECK((*entries)[1].nhsNumber == "9434765919");
    }

    TEST_CASE("a worklist entry that does not reference a ReferralRequest is an error") {
        auto bad = parseWorklist(
            R"({"resourceType": "List", "entry": [{"item": {"reference": "Patient/1"}}]})");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "entry[0].item.reference");
        auto empty = parseWorklist(R"({"resourceType": "List"})");
        REQUIRE(empty.ok());
        CHECK(empty->empty());
    }
}
