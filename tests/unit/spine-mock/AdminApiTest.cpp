#include "MockTestSupport.hpp"

#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace gp::mock;

namespace {

MockRequest post(std::string body) {
    MockRequest request;
    request.method = "POST";
    request.path = "/_admin/faults";
    request.body = std::move(body);
    return request;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("admin API adds, lists and clears fault rules") {
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockService service(test::testConfig(dir.path()), clock, random, waiter);
        auto& admin = service.admin();

        const auto added =
            admin.addFault(post(R"({"interaction":"*","times":2,"fault":{"type":"reset"}})"));
        CHECK(added.status == 201);
        CHECK(added.contentType == "application/json");
        CHECK(added.body == R"({"interaction":"*","times":2,"fault":{"type":"reset"}})");
        CHECK(admin.listFaults().body ==
              R"([{"interaction":"*","times":2,"fault":{"type":"reset"}}])");

        const auto bad = admin.addFault(post(R"({"interaction":"*","fault":{"type":"http"}})"));
        CHECK(bad.status == 400);
        CHECK(bad.body == R"({"error":"fault.status: is required","field":"fault.status"})");

        CHECK(admin.clearFaults().body == R"({"cleared":1})");
        CHECK(admin.listFaults().body == "[]");
    }

    TEST_CASE("admin API lists the journal and filters it by MessageId") {
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockService service(test::testConfig(dir.path()), clock, random, waiter);
        (void)service.eps().handle(test::eprRequest());
        test::RequestSpec other;
        other.messageId = "9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D";
        (void)service.eps().handle(test::eprRequest(other));

        MockRequest request;
        request.method = "GET";
        const auto all = service.admin().journal(request);
        CHECK(all.status == 200);
        CHECK(
            all.body ==
            R"([{"messageId":"3C5B1E2A-8F4D-4E6B-9A1C-2D3E4F5A6B7C","interaction":"PORX_IN020101SM31","outcome":"processed","replyCode":"AA","receivedAt":"2026-03-15T06:51:08.000Z"},)"
            R"({"messageId":"9A8B7C6D-5E4F-4A3B-8C2D-1E0F9A8B7C6D","interaction":"PORX_IN020101SM31","outcome":"processed","replyCode":"0002","receivedAt":"2026-03-15T06:51:08.000Z"}])");

        request.queryParameters = {{"messageId", other.messageId}};
        const auto filtered = service.admin().journal(request);
        CHECK(filtered.body.find("3C5B1E2A") == std::string::npos);
        CHECK(filtered.body.find("\"replyCode\":\"0002\"") != std::string::npos);
    }

    TEST_CASE("faults listed in mock.faults are loaded at start") {
        test::TempDir dir;
        const std::string file = dir.path() + "/faults.json";
        {
            std::ofstream out(file);
            out << R"([{"interaction":"*","times":3,"fault":{"type":"http","status":503}}])";
        }
        auto config = test::testConfig(dir.path());
        config.faultsFile = file;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockService service(config, clock, random, waiter);
        REQUIRE(service.faults().list().size() == 1);
        CHECK(service.faults().list()[0].times == 3);

        {
            std::ofstream out(file);
            out << R"([{"interaction":"*","fault":{"type":"http","status":5000}}])";
        }
        CHECK_THROWS_WITH_AS(
            MockService(config, clock, random, waiter),
            ("mock.faults: " + file + ": [0].fault.status: must be a whole number from 100 to 599")
                .c_str(),
            std::runtime_error);
    }

} // TEST_SUITE
