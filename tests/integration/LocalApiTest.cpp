// The local API as the clinical system meets it: authentication, validation, nothing stored
// on a refusal, and start-up refusing a bad configuration.

#include "ProcessHarness.hpp"

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <fstream>

using namespace gp::test;

namespace {

int countOf(const Agent& agent, const std::string& state) {
    auto status = parseJsonObject(agent.api().get("/v1/status").body);
    return status->getObject("counts")->getValue<int>(state);
}

std::size_t auditRows(const Agent& agent) {
    auto reply = agent.api().get("/v1/audit?after=0&limit=1000");
    return parseJsonObject(reply.body)->getArray("rows")->size();
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("a malformed submission is refused with 400 naming the field and nothing is stored") {
        TempDir dir("gp-api");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        Agent agent(dir.path() / "agent", mock.baseUrl());
        agent.start();

        SUBCASE("a wrong NHS number check digit") {
            std::string json = prescriptionJson();
            json.replace(json.find("9449304130"), 10, "9449304131");
            auto reply = agent.submit(json);
            CHECK(reply.status == 400);
            auto errors = parseJsonObject(reply.body)->getArray("errors");
            REQUIRE(errors->size() == 1);
            CHECK(errors->getObject(0)->getValue<std::string>("field") == "patient.nhsNumber");
        }
        SUBCASE("a dm+d code of the wrong type") {
            std::string json = prescriptionJson();
            json.replace(json.find(R"("39732311000001104")"), 19, "39732311000001104");
            auto reply = agent.submit(json);
            CHECK(reply.status == 400);
            CHECK(reply.body.find(R"("field":"items[0].dmdCode")") != std::string::npos);
        }
        SUBCASE("five items") {
            auto reply = agent.submit(prescriptionJson("", 5));
            CHECK(reply.status == 400);
            CHECK(reply.body.find(R"("field":"items")") != std::string::npos);
        }
        SUBCASE("a prescription ID with a wrong check character") {
            auto reply = agent.submit(prescriptionJson("24F5DA-A83008-7EFE6A"));
            CHECK(reply.status == 400);
            CHECK(reply.body.find(R"("field":"prescriptionId")") != std::string::npos);
        }
        SUBCASE("not JSON at all") {
            auto reply = agent.submit("{\"patient\": ");
            CHECK(reply.status == 400);
            CHECK(reply.body.find(R"("field":"body")") != std::string::npos);
        }
        CHECK(countOf(agent, "queued") == 0);
        CHECK(countOf(agent, "acked") == 0);
        CHECK(auditRows(agent) == 0);
        CHECK(mock.journal().empty());
    }

    TEST_CASE("the local API needs the bearer token except for health") {
        TempDir dir("gp-api");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        Agent agent(dir.path() / "agent", mock.baseUrl());
        agent.start();

        gp::agent::ApiClient anonymous("127.0.0.1", agent.apiPort(), "");
        CHECK(anonymous.get("/healthz").status == 200);
        CHECK(anonymous.get("/v1/status").status == 401);
        gp::agent::ApiClient wrong("127.0.0.1", agent.apiPort(), "not-the-token");
        CHECK(wrong.post("/v1/eps/prescriptions", prescriptionJson()).status == 401);
        CHECK(agent.api().get("/v1/status").status == 200);
        CHECK(agent.api().get("/v1/messages/00000000-0000-4000-8000-000000000000").status == 404);
    }

    TEST_CASE("a 202 means durable: the accepted message is in the database file") {
        TempDir dir("gp-api");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        // Spine is down for this test: the message stays in the outbox.
        mock.injectFault(
            R"({"interaction": "*", "times": 1000, "fault": {"type": "http", "status": 503}})");
        Agent agent(dir.path() / "agent", mock.baseUrl(),
                    "retry.baseDelay = PT10S\nretry.maxDelay = PT10S\n");
        agent.start();
        auto reply = agent.submit(prescriptionJson());
        REQUIRE(reply.status == 202);
        const auto messageId = parseJsonObject(reply.body)->getValue<std::string>("messageId");
        agent.kill9();
        agent.start();
        auto message = agent.message(messageId);
        CHECK(message->getValue<std::string>("state") != "acked");
        CHECK(message->getArray("history")->size() >= 1);
    }

    TEST_CASE("an invalid configuration value stops start-up with a message naming the key") {
        TempDir dir("gp-config");
        const auto config = dir.path() / "agent.properties";
        {
            std::ofstream out(config);
            out << "agent.stateDir = " << (dir.path() / "state").string() << "\n"
                << "agent.odsCode = A83008\nagent.partyKey = A83008-9199121\nagent.asid = 1\n"
                << "api.port = seventy\n";
        }
        ChildProcess agent(GP_AGENT_BIN, {"--config", config.string()}, dir.path() / "log.txt");
        CHECK(agent.waitForExit(std::chrono::seconds(20)) != 0);
        std::ifstream log(dir.path() / "log.txt");
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        CHECK(text.find("api.port") != std::string::npos);
        CHECK(text.find("seventy") != std::string::npos);
    }

    TEST_CASE("an unknown configuration key is warned about and start-up goes on") {
        TempDir dir("gp-config");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        Agent agent(dir.path() / "agent", mock.baseUrl(), "spine.ulr = http://typo\n");
        agent.start();
        CHECK(agent.api().get("/v1/status").status == 200);
        std::ifstream log(agent.logFile());
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        CHECK(text.find("unknown configuration key 'spine.ulr'") != std::string::npos);
    }

} // TEST_SUITE
