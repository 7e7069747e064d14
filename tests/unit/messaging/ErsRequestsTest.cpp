#include "Golden.hpp"

#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ers/ErsResources.hpp>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using namespace gp::messaging::ers;

namespace {

Poco::JSON::Object::Ptr parsed(const std::string& body) {
    Poco::JSON::Parser parser;
    return parser.parse(body).extract<Poco::JSON::Object::Ptr>();
}

std::vector<std::string> manyServices(std::size_t count) {
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < count; ++i) {
        ids.push_back(std::to_string(30000 + i));
    }
    return ids;
}

} // namespace

TEST_SUITE("messaging") {
    TEST_CASE("e-RS createReferral Parameters match the golden file") {
        auto request = buildCreateReferral({"9449304130", {"20431", "20587"}, "ROUTINE", true});
        REQUIRE(request.ok());
        CHECK(request->method == "POST");
        CHECK(request->path == "/ReferralRequest/$ers.createReferral");
        CHECK(request->contentType == "application/fhir+json");
        gp::test::checkGolden("ers_create_referral.json", request->body);
    }

    TEST_CASE("e-RS createReferral carries the NHS number and every shortlisted service") {
        auto request = buildCreateReferral({"9449304130", manyServices(20), "URGENT", false});
        REQUIRE(request.ok());
        const auto body = parsed(request->body);
        CHECK(body->getValue<std::string>("resourceType") == "Parameters");
        const auto params = body->getArray("parameter");
        const auto patient = params->getObject(0);
        CHECK(patient->getValue<std::string>("name") == "patient");
        CHECK(patient->getObject("valueIdentifier")->getValue<std::string>("value") ==
              "9449304130");
        CHECK(params->getObject(1)->getObject("valueCoding")->getValue<std::string>("code") ==
              "NO_REFERRAL_LETTER");
        const auto shortlist = params->getObject(2)->getObject("resource");
        const auto entries = shortlist->getArray("entry");
        REQUIRE(entries->size() == 20);
        CHECK(entries->getObject(19)
                  ->getObject("item")
                  ->getObject("identifier")
                  ->getValue<std::string>("value") == "30019");
    }

    TEST_CASE("e-RS createReferral refuses a bad NHS number or shortlist, naming the field") {
        auto badNhs = buildCreateReferral({"9449304131", {"20431"}, "ROUTINE", false});
        REQUIRE_FALSE(badNhs.ok());
        CHECK(badNhs.error().where == "nhsNumber");

        auto none = buildCreateReferral({"9449304130", {}, "ROUTINE", false});
        REQUIRE_FALSE(none.ok());
        CHECK(none.error().where == "serviceIds");
        CHECK(none.error().message == "must list 1 to 20 services, not 0");

        auto tooMany = buildCreateReferral({"9449304130", manyServices(21), "ROUTINE", false});
        REQUIRE_FALSE(tooMany.ok());
        CHECK(tooMany.error().message == "must list 1 to 20 services, not 21");

        auto notDigits = buildCreateReferral({"9449304130", {"20431", "DERM-1"}, "ROUTINE", false});
        REQUIRE_FALSE(notDigits.ok());
        CHECK(notDigits.error().where == "serviceIds[1]");
        CHECK(notDigits.error().message == "must be 1 to 20 digits");

        auto twice = buildCreateReferral({"9449304130", {"20431", "20431"}, "ROUTINE", false});
        REQUIRE_FALSE(twice.ok());
        CHECK(twice.error().where == "serviceIds[1]");
        CHECK(twice.error().message == "is listed twice");

        auto priority = buildCreateReferral({"9449304130", {"20431"}, "SOON", false});
        REQUIRE_FALSE(priority.ok());
        CHECK(priority.error().where == "priority");
    }

    TEST_CASE("e-RS maintainReferralLetter Parameters match the golden file") {
        ReferralLetter letter;
        letter.ubrn = "000000091234";
        letter.binaryUrl = "Binary/att-91234-5521";
        letter.title = "referral-letter.pdf";
        letter.contentType = "application/pdf";
        letter.size = 48213;
        letter.indexedAt = "2026-03-15T09:12:40.125Z";
        auto request = buildMaintainReferralLetter(letter);
        REQUIRE(request.ok());
        CHECK(request->path == "/ReferralRequest/000000091234/$ers.maintainReferralLetter");
        gp::test::checkGolden("ers_maintain_referral_letter.json", request->body);

        letter.ubrn = "91234";
        auto bad = buildMaintainReferralLetter(letter);
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "ubrn");
        CHECK(bad.error().message == "must be 12 digits");
    }

    TEST_CASE("e-RS service search, cancel and worklist requests match the golden files") {
        auto search = buildServiceSearch({"9449304130", "DERMATOLOGY", "ROUTINE", ""});
        REQUIRE(search.ok());
        CHECK(search->path == "/HealthcareService/$ers.searchHealthcareServicesForPatient");
        gp::test::checkGolden("ers_service_search.json", search->body);

        CancelReferral cancel;
        cancel.ubrn = "000000091234";
        cancel.comments = "Patient has moved away";
        auto cancelled = buildCancelReferral(cancel);
        REQUIRE(cancelled.ok());
        CHECK(cancelled->path == "/ReferralRequest/000000091234/$ers.cancelReferral");
        gp::test::checkGolden("ers_cancel_referral.json", cancelled->body);

        const auto worklist = buildFetchWorklist();
        CHECK(worklist.path == "/ReferralRequest/$ers.fetchworklist");
        gp::test::checkGolden("ers_fetch_worklist.json", worklist.body);
    }

    TEST_CASE("e-RS get and upload requests carry no body and the right media type") {
        auto get = buildGetReferral("000000091234");
        REQUIRE(get.ok());
        CHECK(get->method == "GET");
        CHECK(get->path == "/ReferralRequest/000000091234");
        CHECK(get->contentType.empty());
        CHECK(get->body.empty());
        CHECK_FALSE(buildGetReferral("00000009123X").ok());

        auto upload = buildUploadAttachment("application/pdf");
        REQUIRE(upload.ok());
        CHECK(upload->path == "/Binary");
        CHECK(upload->contentType == "application/pdf");
        auto badType = buildUploadAttachment("pdf");
        REQUIRE_FALSE(badType.ok());
        CHECK(badType.error().where == "contentType");
        CHECK_FALSE(buildUploadAttachment("text/plain\r\nX-Evil: 1").ok());
    }

    TEST_CASE("If-Match and ETag round trip through the version") {
        CHECK(ifMatch("3") == "W/\"3\"");
        CHECK(versionFromEtag(ifMatch("17")) == "17");
        CHECK(versionFromEtag("\"5\"") == "5");
        CHECK(versionFromEtag("8") == "8");
    }

    TEST_CASE("a built createReferral reads back through the shortlist parser shape") {
        // Build then parse: the shortlist we send is the shortlist a ReferralRequest reports.
        auto request = buildCreateReferral({"9449304130", {"20431", "20587"}, "ROUTINE", false});
        REQUIRE(request.ok());
        const auto body = parsed(request->body);
        auto shortlist = body->getArray("parameter")->getObject(2)->getObject("resource");
        shortlist->set("id", "shortlist");
        Poco::JSON::Object::Ptr referral = new Poco::JSON::Object;
        referral->set("resourceType", "ReferralRequest");
        referral->set("id", "000000091234");
        Poco::JSON::Array::Ptr contained = new Poco::JSON::Array;
        contained->add(shortlist);
        referral->set("contained", contained);
        Poco::JSON::Object::Ptr reference = new Poco::JSON::Object;
        reference->set("reference", "#shortlist");
        Poco::JSON::Object::Ptr extension = new Poco::JSON::Object;
        extension->set(
            "url",
            "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-eRS-ReferralShortlist-1");
        extension->set("valueReference", reference);
        Poco::JSON::Array::Ptr extensions = new Poco::JSON::Array;
        extensions->add(extension);
        referral->set("extension", extensions);
        std::ostringstream text;
        referral->stringify(text);
        auto read = parseReferralRequest(text.str(), "W/\"1\"");
        REQUIRE(read.ok());
        CHECK(read->version == "1");
        CHECK(read->serviceIds == std::vector<std::string>{"20431", "20587"});
    }
}
