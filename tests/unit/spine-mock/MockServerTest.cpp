#include "MockTestSupport.hpp"
#include "PracticeStub.hpp"

#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/MockServer.hpp>
#include <gp/mock/MockService.hpp>

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

using namespace gp::mock;
using Poco::Net::HTTPRequest;
using Poco::Net::HTTPResponse;

namespace {

struct Exchange {
    int status = 0;
    std::string contentType;
    std::string body;
    std::string retryAfter;
};

Exchange call(std::uint16_t port, const std::string& method, const std::string& uri,
              const HeaderList& headers = {}, const std::string& body = {}) {
    Poco::Net::HTTPClientSession session("127.0.0.1", port);
    session.setTimeout(Poco::Timespan(10, 0));
    HTTPRequest request(method, uri, HTTPRequest::HTTP_1_1);
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.setContentLength(static_cast<std::streamsize>(body.size()));
    session.sendRequest(request) << body;
    HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    Exchange exchange;
    exchange.status = response.getStatus();
    exchange.contentType = response.getContentType();
    exchange.retryAfter = response.get("Retry-After", "");
    Poco::StreamCopier::copyToString(in, exchange.body);
    return exchange;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("the HTTP server answers over a real socket on a port of its choosing") {
        test::TempDir dir;
        auto config = test::testConfig(dir.path());
        config.port = 0;
        SystemClock clock;
        test::SeededRandom random;
        ShutdownWaiter waiter;
        MockService service(config, clock, random, waiter);
        MockServer server(service, waiter);
        server.start();
        const auto port = server.port();
        REQUIRE(port != 0);

        REQUIRE(writePortsFile(dir.path(), port).ok());
        std::ifstream portsFile(dir.path() + "/ports.json");
        std::stringstream ports;
        ports << portsFile.rdbuf();
        CHECK(ports.str() == "{\"http\": " + std::to_string(port) + "}\n");

        const auto health = call(port, "GET", "/healthz");
        CHECK(health.status == 200);
        CHECK(health.body == R"({"status":"ok"})");

        CHECK(call(port, "GET", "/nowhere").status == 404);
        CHECK(call(port, "GET", "/reliablemessaging/reliablerequest").status == 405);

        const auto request = test::eprRequest();
        const auto accepted =
            call(port, "POST", "/reliablemessaging/reliablerequest", request.headers, request.body);
        CHECK(accepted.status == 200);
        const auto reply =
            gp::messaging::spine::parseSpineReply(accepted.contentType, accepted.body);
        REQUIRE(reply.ok());
        REQUIRE(reply->applicationAck.has_value());
        CHECK(reply->applicationAck->messageRef == test::RequestSpec{}.messageId);

        const auto badFault =
            call(port, "POST", "/_admin/faults", {{"Content-Type", "application/json"}},
                 R"({"interaction":"*","times":"x","fault":{"type":"reset"}})");
        CHECK(badFault.status == 400);
        CHECK(badFault.body.find(R"("field":"times")") != std::string::npos);

        CHECK(call(port, "POST", "/_admin/faults", {},
                   R"({"interaction":"*","fault":{"type":"http","status":503,"retryAfter":7}})")
                  .status == 201);
        const auto unavailable =
            call(port, "POST", "/reliablemessaging/reliablerequest", request.headers, request.body);
        CHECK(unavailable.status == 503);
        CHECK(unavailable.retryAfter == "7");

        CHECK(call(port, "POST", "/_admin/faults", {},
                   R"({"interaction":"*","fault":{"type":"reset"}})")
                  .status == 201);
        CHECK_THROWS_AS(
            call(port, "POST", "/reliablemessaging/reliablerequest", request.headers, request.body),
            Poco::Exception);

        const auto replayed =
            call(port, "POST", "/reliablemessaging/reliablerequest", request.headers, request.body);
        CHECK(replayed.body == accepted.body);

        const auto journal =
            call(port, "GET", "/_admin/journal?messageId=" + test::RequestSpec{}.messageId);
        CHECK(journal.status == 200);
        CHECK(journal.contentType == "application/json");
        const auto processed = journal.body.find(R"("outcome":"processed")");
        const auto fault503 = journal.body.find(R"("replyCode":"503")");
        const auto reset = journal.body.find(R"("replyCode":"reset")");
        const auto replay = journal.body.find(R"("outcome":"replayed")");
        CHECK(processed < fault503);
        CHECK(fault503 < reset);
        CHECK(reset < replay);
        CHECK(replay != std::string::npos);

        server.stop();
        CHECK_THROWS_AS(call(port, "GET", "/healthz"), Poco::Exception);
    }

    TEST_CASE("GP2GP over real sockets: register, look up the route, send, and see it forwarded") {
        test::PracticeStub practiceB;
        test::TempDir dir;
        auto config = test::testConfig(dir.path());
        config.port = 0;
        SystemClock clock;
        test::SeededRandom random;
        ShutdownWaiter waiter;
        MockService service(config, clock, random, waiter);
        MockServer server(service, waiter);
        server.start();
        service.forwarder().start();
        const auto port = server.port();

        CHECK(call(port, "POST", "/_admin/practices", {}, toJson(test::practiceA())).status == 201);
        CHECK(call(port, "POST", "/_admin/practices", {}, toJson(test::practiceB(practiceB.url())))
                  .status == 201);
        const auto bad = call(port, "POST", "/_admin/practices", {}, R"({"odsCode":"A83008"})");
        CHECK(bad.status == 400);
        CHECK(bad.body == R"({"error":"partyKey: is required","field":"partyKey"})");
        CHECK(call(port, "GET", "/_admin/practices").body.find(practiceB.url()) !=
              std::string::npos);

        const auto route = call(
            port, "GET",
            "/spine-directory/routing?odsCode=B82001&interaction=urn%3Anhs%3Anames%3Aservices%3A"
            "gp2gp%3ACOPC_IN000001UK01");
        CHECK(route.status == 200);
        const std::string endpoint =
            "http://127.0.0.1:" + std::to_string(port) + "/reliablemessaging/forwardreliable";
        CHECK(route.body.find(R"("endpoint":")" + endpoint + "\"") != std::string::npos);

        const auto request = test::gp2gpRequest();
        const auto accepted =
            call(port, "POST", "/reliablemessaging/forwardreliable", request.headers, request.body);
        CHECK(accepted.status == 202);
        CHECK(accepted.contentType == "text/xml");
        REQUIRE(service.forwarder().waitForOutcomes(1, std::chrono::seconds(20)));
        REQUIRE(practiceB.deliveries().size() == 1);
        CHECK(practiceB.deliveries()[0].body == request.body);

        const auto forwards = call(port, "GET", "/_admin/forwards");
        CHECK(forwards.status == 200);
        CHECK(forwards.body.find(R"("messageId":")" + test::Gp2gpSpec{}.messageId +
                                 R"(","interaction":"COPC_IN000001UK01")") != std::string::npos);
        CHECK(forwards.body.find(R"("sender":"A83008","recipient":"B82001","state":"forwarded",)"
                                 R"("attempts":1,"deliveries":1,)") != std::string::npos);
        const auto journal =
            call(port, "GET", "/_admin/journal?messageId=" + test::Gp2gpSpec{}.messageId);
        CHECK(journal.body.find(R"("outcome":"accepted","replyCode":"202")") != std::string::npos);
        CHECK(journal.body.find(R"("outcome":"forwarded","replyCode":"202")") != std::string::npos);
        CHECK(journal.body.find(R"("leg":"forward","recipient":"B82001")") != std::string::npos);
        CHECK(call(port, "GET", "/reliablemessaging/forwardreliable").status == 405);
        server.stop();
    }

    TEST_CASE("ports.json cannot be written into a missing directory") {
        test::TempDir dir;
        const auto written = writePortsFile(dir.path() + "/missing", 7680);
        REQUIRE_FALSE(written.ok());
        CHECK(written.error().where == dir.path() + "/missing/ports.json.tmp");
        CHECK(written.error().message.rfind("cannot create: ", 0) == 0);
    }

} // TEST_SUITE
