#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

MockRequest worklistRequest(const std::string& listType, const std::string& correlationId = {}) {
    auto request =
        ersRequest("POST", "/ReferralRequest/$ers.fetchworklist", worklistBody(listType));
    if (!correlationId.empty()) {
        request.queryParameters.emplace_back("correlationId", correlationId);
    }
    return request;
}

std::vector<std::string> ubrnsOn(const MockReply& reply) {
    std::vector<std::string> ubrns;
    const auto entries = json(reply.body)->getArray("entry");
    for (unsigned i = 0; i < entries->size(); ++i) {
        const auto reference =
            entries->getObject(i)->getObject("item")->getValue<std::string>("reference");
        ubrns.push_back(reference.substr(std::string("ReferralRequest/").size()));
    }
    return ubrns;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("A008 lists the organisation's referrals by list type") {
        ErsFixture ers;
        const auto plain = ers.create();
        const auto lettered = ers.create();
        REQUIRE(ers.attach(lettered, {ers.upload(lettered)}).status == 200);
        const auto cancelled = ers.create();
        auto cancel = ersRequest("POST", "/ReferralRequest/" + cancelled + "/$ers.cancelReferral",
                                 cancelBody());
        setHeader(cancel, "If-Match", "W/\"1\"");
        REQUIRE(ers.reply(cancel).status == 200);
        auto elsewhere = ersRequest("POST", "/ReferralRequest/$ers.createReferral",
                                    createBody(kValidNhsNumber, {"10000001"}));
        setHeader(elsewhere, "NHSD-End-User-Organisation-ODS", "B82001");
        REQUIRE(ers.reply(elsewhere).status == 201);

        const auto awaiting = ers.reply(worklistRequest("AWAITING_BOOKING"));
        REQUIRE(awaiting.status == 200);
        CHECK(ubrnsOn(awaiting) == std::vector<std::string>{plain, lettered});
        CHECK(ubrnsOn(ers.reply(worklistRequest("LETTERS_OUTSTANDING"))) ==
              std::vector<std::string>{plain});
        CHECK(ubrnsOn(ers.reply(worklistRequest("REJECTED_TRIAGE_RESPONSE"))).empty());

        const auto entry = json(awaiting.body)->getArray("entry")->getObject(0);
        const auto item = entry->getArray("extension")->getObject(0);
        CHECK(item->getValue<std::string>("url") == "https://fhir.nhs.uk/STU3/StructureDefinition/"
                                                    "Extension-eRS-AwaitingBooking-WorkListItem-1");
        const auto correlation = entry->getArray("extension")->getObject(1);
        CHECK(correlation->getValue<std::string>("url") ==
              "https://spine-mock.invalid/StructureDefinition/Extension-Mock-CorrelationId");
        CHECK(correlation->getValue<std::string>("valueString") == kCorrelationId);
    }

    TEST_CASE("A008 with correlationId finds every referral created under it, in any state") {
        ErsFixture ers;
        auto other = ersRequest("POST", "/ReferralRequest/$ers.createReferral",
                                createBody(kValidNhsNumber, {"10000001"}));
        setHeader(other, "X-Correlation-ID", "another-request");
        REQUIRE(ers.reply(other).status == 201);
        const auto mine = ers.create();
        auto cancel =
            ersRequest("POST", "/ReferralRequest/" + mine + "/$ers.cancelReferral", cancelBody());
        setHeader(cancel, "If-Match", "W/\"1\"");
        REQUIRE(ers.reply(cancel).status == 200);

        CHECK(ubrnsOn(ers.reply(worklistRequest("AWAITING_BOOKING", kCorrelationId))) ==
              std::vector<std::string>{mine});
        CHECK(ubrnsOn(ers.reply(worklistRequest("AWAITING_BOOKING", "never-sent"))).empty());
    }

    TEST_CASE("A008 needs a known list type") {
        ErsFixture ers;
        auto reply = ers.reply(worklistRequest("EVERYTHING"));
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "INVALID_CODE");
        reply = ers.reply(ersRequest("POST", "/ReferralRequest/$ers.fetchworklist",
                                     R"({"resourceType":"Parameters","parameter":[]})"));
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "MISSING_VALUE");
    }

    TEST_CASE("A010 searches the built-in directory, by specialty when asked") {
        ErsFixture ers;
        const std::string patient =
            std::string(R"({"name":"patient","valueIdentifier":{"value":")") + kValidNhsNumber +
            R"("}})";
        auto reply = ers.reply(
            ersRequest("POST", "/HealthcareService/$ers.searchHealthcareServicesForPatient",
                       R"({"resourceType":"Parameters","parameter":[)" + patient + "]}"));
        REQUIRE(reply.status == 200);
        auto entries = json(reply.body)->getArray("entry");
        CHECK(entries->size() == 25);
        const auto first = entries->getObject(0)->getObject("item");
        CHECK(first->getObject("identifier")->getValue<std::string>("value") == "10000001");
        CHECK(first->getValue<std::string>("display") == "Mock Cardiology Service 1");

        reply = ers.reply(ersRequest(
            "POST", "/HealthcareService/$ers.searchHealthcareServicesForPatient",
            R"({"resourceType":"Parameters","parameter":[)" + patient +
                R"(,{"name":"searchCriteria","resource":{"resourceType":"Parameters","parameter":[{"name":"specialty","valueCoding":{"code":"CARDIOLOGY"}}]}}]})"));
        entries = json(reply.body)->getArray("entry");
        CHECK(entries->size() == 5);
        CHECK(entries->getObject(1)
                  ->getObject("item")
                  ->getObject("identifier")
                  ->getValue<std::string>("value") == "10000006");

        reply = ers.reply(ersRequest(
            "POST", "/HealthcareService/$ers.searchHealthcareServicesForPatient",
            R"({"resourceType":"Parameters","parameter":[{"name":"patient","valueIdentifier":{"value":"1234567890"}}]})"));
        CHECK(reply.status == 422);
        CHECK(errorCode(reply) == "INVALID_VALUE");
    }
}
