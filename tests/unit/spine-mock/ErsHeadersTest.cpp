#include "ErsTestSupport.hpp"

#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;

namespace {

MockRequest createRequest() {
    return ersRequest("POST", "/ReferralRequest/$ers.createReferral",
                      createBody(kValidNhsNumber, {"10000001"}));
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("e-RS refuses a call without a bearer token with 401") {
        ErsFixture ers;
        for (const std::string value : {"", "Bearer ", "Basic abc"}) {
            CAPTURE(value);
            auto request = createRequest();
            setHeader(request, "Authorization", value);
            const auto reply = ers.reply(request);
            CHECK(reply.status == 401);
            CHECK(errorCode(reply) == "ACCESS_DENIED");
        }
        CHECK(ers.adminReferrals()->size() == 0);
    }

    TEST_CASE("e-RS refuses a missing or wrong business function with 403") {
        ErsFixture ers;
        auto missing = createRequest();
        removeHeader(missing, "NHSD-eRS-Business-Function");
        auto reply = ers.reply(missing);
        CHECK(reply.status == 403);
        CHECK(errorCode(reply) == "NO_ACCESS");

        auto wrong = createRequest();
        setHeader(wrong, "NHSD-eRS-Business-Function", "SERVICE_PROVIDER_CLINICIAN");
        reply = ers.reply(wrong);
        CHECK(reply.status == 403);
        CHECK(errorCode(reply) == "FORBIDDEN");
        CHECK(ers.adminReferrals()->size() == 0);
    }

    TEST_CASE("REFERRING_ADMIN may create a referral but not upload or attach letters") {
        ErsFixture ers;
        auto create = createRequest();
        setHeader(create, "NHSD-eRS-Business-Function", "REFERRING_ADMIN");
        const auto created = ers.reply(create);
        REQUIRE(created.status == 201);
        const auto ubrn = json(created.body)->getValue<std::string>("id");

        auto upload = ersRequest("POST", "/Binary", "bytes", "text/plain");
        setHeader(upload, "NHSD-eRS-File-Name", "a.txt");
        setHeader(upload, "NHSD-eRS-Business-Function", "REFERRING_ADMIN");
        const auto refused = ers.reply(upload);
        CHECK(refused.status == 403);
        CHECK(errorCode(refused) == "FORBIDDEN");

        auto attach =
            ersRequest("POST", "/ReferralRequest/" + ubrn + "/$ers.maintainReferralLetter",
                       letterBody({"Binary/att-1"}));
        setHeader(attach, "If-Match", "W/\"1\"");
        setHeader(attach, "NHSD-eRS-Business-Function", "REFERRING_ADMIN");
        CHECK(ers.reply(attach).status == 403);

        for (const char* function : {"REFERRING_CLINICIAN", "REFERRING_CLINICIAN_ADMIN"}) {
            setHeader(upload, "NHSD-eRS-Business-Function", function);
            CHECK(ers.reply(upload).status == 201);
        }
    }

    TEST_CASE("e-RS needs the end user's organisation") {
        ErsFixture ers;
        auto request = createRequest();
        removeHeader(request, "NHSD-End-User-Organisation-ODS");
        const auto reply = ers.reply(request);
        CHECK(reply.status == 403);
        CHECK(errorCode(reply) == "NO_ACCESS");
    }

    TEST_CASE("e-RS JSON calls need Content-Type application/fhir+json") {
        ErsFixture ers;
        auto request = createRequest();
        setHeader(request, "Content-Type", "application/json");
        auto reply = ers.reply(request);
        CHECK(reply.status == 415);
        CHECK(errorCode(reply) == "UNSUPPORTED_MEDIA_TYPE");

        setHeader(request, "Content-Type", "application/fhir+json; charset=utf-8");
        CHECK(ers.reply(request).status == 201);
    }

    TEST_CASE("e-RS echoes X-Correlation-ID on errors too, and answers unknown paths and methods") {
        ErsFixture ers;
        auto request = createRequest();
        removeHeader(request, "Authorization");
        CHECK(replyHeader(ers.reply(request), "X-Correlation-ID") == kCorrelationId);

        const auto unknown = ers.reply(ersRequest("GET", "/Patient/1"));
        CHECK(unknown.status == 404);
        CHECK(errorCode(unknown) == "REFERENCE_NOT_FOUND");

        const auto wrongMethod =
            ers.reply(ersRequest("GET", "/ReferralRequest/$ers.createReferral"));
        CHECK(wrongMethod.status == 405);
        CHECK(replyHeader(wrongMethod, "Allow") == "POST");
        CHECK(ers.reply(ersRequest("POST", "/ReferralRequest/000000000001")).status == 405);
    }

    TEST_CASE("ErsEndpoint::serves claims the e-RS base and its admin paths only") {
        CHECK(ErsEndpoint::serves("/referrals/FHIR/STU3/Binary"));
        CHECK(ErsEndpoint::serves("/_admin/ers/referrals"));
        CHECK_FALSE(ErsEndpoint::serves("/referrals/FHIR/R4/ServiceRequest"));
        CHECK_FALSE(ErsEndpoint::serves("/_admin/journal"));
    }
}
