#include "ErsTestSupport.hpp"

#include <gp/mock/MockServer.hpp>
#include <gp/mock/MockService.hpp>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

using namespace gp::mock;
using namespace gp::mock::test;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

struct Answer {
    int status = 0;
    std::string etag;
    std::string correlationId;
    std::string body;
};

Answer send(std::uint16_t port, const std::string& method, const std::string& uri,
            const std::string& body = {}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(10, 0));
    HTTPRequest request(method, uri, HTTPRequest::HTTP_1_1);
    request.set("Authorization", "Bearer token");
    request.set("NHSD-eRS-Business-Function", "REFERRING_CLINICIAN");
    request.set("NHSD-End-User-Organisation-ODS", kOdsA);
    request.set("X-Correlation-ID", kCorrelationId);
    request.setContentType("application/fhir+json");
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Answer answer;
    answer.status = response.getStatus();
    answer.etag = response.get("ETag", "");
    answer.correlationId = response.get("X-Correlation-ID", "");
    Poco::StreamCopier::copyToString(in, answer.body);
    return answer;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("e-RS over a real socket: create, then a reply lost to resetAfterProcessing") {
        TempDir dir;
        auto config = testConfig(dir.path());
        config.port = 0;
        SystemClock clock;
        SeededRandom random;
        ShutdownWaiter waiter;
        MockService service(config, clock, random, waiter);
        MockServer server(service, waiter);
        server.start();
        const auto port = server.port();
        const std::string create = "/referrals/FHIR/STU3/ReferralRequest/$ers.createReferral";
        const auto body = createBody(kValidNhsNumber, {"10000001"});

        const auto created = send(port, "POST", create, body);
        CHECK(created.status == 201);
        CHECK(created.etag == "W/\"1\"");
        CHECK(created.correlationId == kCorrelationId);

        auto rule =
            parseFaultRule(R"({"interaction":"A011","fault":{"type":"resetAfterProcessing"}})");
        REQUIRE(rule.ok());
        service.faults().add(*rule);
        CHECK_THROWS_AS(send(port, "POST", create, body), Poco::Exception);

        const auto listed = send(port, "GET", "/_admin/ers/referrals");
        CHECK(listed.status == 200);
        CHECK(jsonArray(listed.body)->size() == 2);
        server.stop();
    }
}
