#include "MockTestSupport.hpp"

#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <fstream>

using namespace gp::mock;

namespace {

MockRequest post(std::string body) {
    MockRequest request;
    request.method = "POST";
    request.path = "/_admin/practices";
    request.body = std::move(body);
    return request;
}

const std::string kPracticeJson =
    R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":"200000001234",)"
    R"("inboundUrl":"http://127.0.0.1:7671/inbound"})";

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("practices are registered, updated by ODS code and listed") {
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockService service(test::testConfig(dir.path()), clock, random, waiter);
        auto& admin = service.admin();

        const auto created = admin.addPractice(post(kPracticeJson));
        CHECK(created.status == 201);
        CHECK(created.contentType == "application/json");
        CHECK(created.body ==
              R"({"odsCode":"A83008","partyKey":"A83008-9199121",)"
              R"("asid":"200000001234","inboundUrl":"http://127.0.0.1:7671/inbound"})");

        const auto updated = admin.addPractice(
            post(R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":"200000001234",)"
                 R"("inboundUrl":"http://127.0.0.1:41001/inbound"})"));
        CHECK(updated.status == 200);
        CHECK(admin.addPractice(post(toJson(test::practiceB()))).status == 201);

        CHECK(admin.listPractices().body ==
              R"([{"odsCode":"A83008","partyKey":"A83008-9199121","asid":"200000001234",)"
              R"("inboundUrl":"http://127.0.0.1:41001/inbound"},)"
              R"({"odsCode":"B82001","partyKey":"B82001-1234567","asid":"200000005678",)"
              R"("inboundUrl":"http://127.0.0.1:1/inbound"}])");
    }

    TEST_CASE("a bad practice is refused naming the field") {
        struct Case {
            const char* json;
            const char* field;
            const char* error;
        };
        const Case cases[] = {
            {"nope", "body", nullptr},
            {"[]", "body", "body: must be a JSON object"},
            {R"({"partyKey":"A83008-9199121","asid":"1","inboundUrl":"http://h/i"})", "odsCode",
             "odsCode: is required"},
            {R"({"odsCode":"a83008","partyKey":"A83008-9199121","asid":"1","inboundUrl":"http://h/i"})",
             "odsCode", "odsCode: must be 1 to 10 upper-case letters and digits, such as A83008"},
            {R"({"odsCode":"A83008","partyKey":"A83008","asid":"1","inboundUrl":"http://h/i"})",
             "partyKey", "partyKey: must be a party key such as A83008-9199121"},
            {R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":200000001234,"inboundUrl":"http://h/i"})",
             "asid", "asid: must be a string"},
            {R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":"2000000012345","inboundUrl":"http://h/i"})",
             "asid", "asid: must be 1 to 12 digits, such as 200000001234"},
            {R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":"1","inboundUrl":"ftp://h/i"})",
             "inboundUrl",
             "inboundUrl: must be an http or https URL such as http://127.0.0.1:7671/inbound"},
            {R"({"odsCode":"A83008","partyKey":"A83008-9199121","asid":"1"})", "inboundUrl",
             "inboundUrl: is required"},
        };
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        MockService service(test::testConfig(dir.path()), clock, random, waiter);
        for (const auto& c : cases) {
            CAPTURE(c.json);
            const auto reply = service.admin().addPractice(post(c.json));
            CHECK(reply.status == 400);
            CHECK(reply.body.find(std::string(R"("field":")") + c.field + "\"") !=
                  std::string::npos);
            if (c.error != nullptr) {
                CHECK(reply.body.find(std::string(R"({"error":")") + c.error + "\"") == 0);
            }
        }
        CHECK(service.admin().listPractices().body == "[]");

        // A party key belongs to one ODS code.
        REQUIRE(service.admin().addPractice(post(kPracticeJson)).status == 201);
        const auto stolen = service.admin().addPractice(post(
            R"({"odsCode":"C81001","partyKey":"A83008-9199121","asid":"1","inboundUrl":"http://h/i"})"));
        CHECK(stolen.status == 400);
        CHECK(stolen.body ==
              R"({"error":"partyKey: is already registered for A83008","field":"partyKey"})");
    }

    TEST_CASE("registered practices survive a restart of the mock") {
        test::TempDir dir;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        {
            MockService service(test::testConfig(dir.path()), clock, random, waiter);
            REQUIRE(service.admin().addPractice(post(kPracticeJson)).status == 201);
        }
        MockService restarted(test::testConfig(dir.path()), clock, random, waiter);
        const auto found = restarted.store().practiceByPartyKey("A83008-9199121");
        REQUIRE(found.ok());
        REQUIRE(found->has_value());
        CHECK((*found)->odsCode == "A83008");
        CHECK((*found)->inboundUrl == "http://127.0.0.1:7671/inbound");
    }

    TEST_CASE("practices listed in mock.registry are registered at start") {
        test::TempDir dir;
        const std::string file = dir.path() + "/registry.json";
        {
            std::ofstream out(file);
            out << "[" << kPracticeJson << "," << toJson(test::practiceB()) << "]";
        }
        auto config = test::testConfig(dir.path());
        config.registryFile = file;
        test::ManualClock clock;
        test::SeededRandom random;
        test::RecordingWaiter waiter;
        {
            MockService service(config, clock, random, waiter);
            CHECK(service.store().practices()->size() == 2);
        }
        {
            std::ofstream out(file);
            out << R"([{"odsCode":"A83008","partyKey":"A83008-9199121","asid":"x","inboundUrl":"http://h/i"}])";
        }
        CHECK_THROWS_WITH_AS(
            MockService(config, clock, random, waiter),
            ("mock.registry: " + file + ": [0].asid: must be 1 to 12 digits, such as 200000001234")
                .c_str(),
            std::runtime_error);
    }

} // TEST_SUITE
