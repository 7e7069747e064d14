#include "MockTestSupport.hpp"

#include <gp/mock/MockService.hpp>

#include <doctest/doctest.h>

#include <functional>

using namespace gp::mock;

namespace {

struct Fixture {
    explicit Fixture(const std::function<void(MockConfig&)>& adjust = {})
        : service(configure(dir.path(), adjust), clock, random, waiter) {
        REQUIRE(service.store().upsertPractice(test::practiceA()).ok());
        REQUIRE(service.store().upsertPractice(test::practiceB()).ok());
    }

    static MockConfig configure(const std::string& stateDir,
                                const std::function<void(MockConfig&)>& adjust) {
        auto config = test::testConfig(stateDir);
        if (adjust) {
            adjust(config);
        }
        return config;
    }

    MockReply lookup(const std::string& ods, const std::string& interaction) {
        MockRequest request;
        request.method = "GET";
        request.path = "/spine-directory/routing";
        request.headers = {{"Host", "127.0.0.1:7680"}};
        if (!ods.empty()) {
            request.queryParameters.emplace_back("odsCode", ods);
        }
        if (!interaction.empty()) {
            request.queryParameters.emplace_back("interaction", interaction);
        }
        return service.directory().lookup(request);
    }

    test::TempDir dir;
    test::ManualClock clock;
    test::SeededRandom random;
    test::RecordingWaiter waiter;
    MockService service;
};

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("a GP2GP route names the practice and points at the mock's forward-reliable URL") {
        Fixture f;
        const auto reply = f.lookup("A83008", "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05");
        CHECK(reply.status == 200);
        CHECK(reply.contentType == "application/json");
        CHECK(
            reply.body ==
            R"({"odsCode":"A83008","interaction":"urn:nhs:names:services:gp2gp:RCMR_IN010000UK05",)"
            R"("partyKey":"A83008-9199121","asid":"200000001234",)"
            R"("endpoint":"http://127.0.0.1:7680/reliablemessaging/forwardreliable",)"
            R"("cpaId":"S20001A000182","retries":2,"retryInterval":"PT1M",)"
            R"("persistDuration":"PT4H10M","duplicateElimination":"always",)"
            R"("ackRequested":"always","syncReplyMode":"None",)"
            R"("actor":"urn:oasis:names:tc:ebxml-msg:actor:nextMSH"})");

        const auto copc = f.lookup("B82001", "urn:nhs:names:services:gp2gp:COPC_IN000001UK01");
        CHECK(copc.body.find(R"("partyKey":"B82001-1234567")") != std::string::npos);
        CHECK(copc.body.find(R"("cpaId":"S20001A000185")") != std::string::npos);
        CHECK(copc.body.find(R"("persistDuration":"PT7H")") != std::string::npos);
        const auto mcci = f.lookup("B82001", "urn:nhs:names:services:gp2gp:MCCI_IN010000UK13");
        CHECK(mcci.body.find(R"("persistDuration":"PT4M")") != std::string::npos);
    }

    TEST_CASE("GP2GP reliability attributes follow the configuration") {
        Fixture f([](MockConfig& config) {
            config.gp2gpRetries = 5;
            config.gp2gpRetryInterval = {"PT2S", std::chrono::seconds(2)};
            config.gp2gpPersistDurations["RCMR_IN030000UK06"] = {"PT30S", std::chrono::seconds(30)};
        });
        const auto reply = f.lookup("A83008", "urn:nhs:names:services:gp2gp:RCMR_IN030000UK06");
        CHECK(reply.body.find(R"("retries":5,"retryInterval":"PT2S","persistDuration":"PT30S")") !=
              std::string::npos);
    }

    TEST_CASE("an EPS route names Spine and its reliable-request URL") {
        Fixture f;
        const auto reply = f.lookup("YES", "urn:nhs:names:services:mm:PORX_IN020101SM31");
        CHECK(reply.status == 200);
        CHECK(reply.body ==
              R"({"odsCode":"YES","interaction":"urn:nhs:names:services:mm:PORX_IN020101SM31",)"
              R"("partyKey":"YES-0000806","asid":"990101234567",)"
              R"("endpoint":"http://127.0.0.1:7680/reliablemessaging/reliablerequest",)"
              R"("cpaId":"S20001A000100","retries":2,"retryInterval":"PT1M",)"
              R"("persistDuration":"PT5M","duplicateElimination":"always",)"
              R"("ackRequested":"always","syncReplyMode":"MSHSignalsOnly",)"
              R"("actor":"urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"})");
        // A registered practice may look EPS up under its own ODS code too.
        CHECK(f.lookup("A83008", "urn:nhs:names:services:mm:PORX_IN020101SM31").status == 200);
    }

    TEST_CASE("lookups with no route get 404 and bad queries get 400") {
        Fixture f;
        const auto unknown = f.lookup("C81001", "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05");
        CHECK(unknown.status == 404);
        CHECK(
            unknown.body ==
            R"({"errors":[{"field":"odsCode","message":"no practice registered with ODS code C81001"}]})");
        CHECK(f.lookup("C81001", "urn:nhs:names:services:mm:PORX_IN020101SM31").status == 404);

        const auto interaction =
            f.lookup("A83008", "urn:nhs:names:services:gp2gp:PORX_IN020101SM31");
        CHECK(interaction.status == 404);
        CHECK(interaction.body.find(R"("field":"interaction")") != std::string::npos);
        CHECK(f.lookup("A83008", "urn:nhs:names:services:psis:QUPA_IN040000UK32").status == 404);

        const auto missing = f.lookup("", "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05");
        CHECK(missing.status == 400);
        CHECK(missing.body == R"({"errors":[{"field":"odsCode","message":"is required"}]})");
        CHECK(f.lookup("a83008", "urn:nhs:names:services:gp2gp:RCMR_IN010000UK05").status == 400);
        const auto bare = f.lookup("A83008", "RCMR_IN010000UK05");
        CHECK(bare.status == 400);
        CHECK(bare.body.find(R"("field":"interaction")") != std::string::npos);
        CHECK(f.lookup("A83008", "").status == 400);
    }

} // TEST_SUITE
