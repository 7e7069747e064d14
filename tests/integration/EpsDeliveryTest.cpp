// The foundation's promise, tested end to end with real processes: a prescription accepted by
// gp-agent reaches spine-mock exactly once, through injected failures, rejections and a crash.

#include "ProcessHarness.hpp"

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <set>

using namespace gp::test;

namespace {

struct Setup {
    TempDir dir{"gp-eps"};
    SpineMock mock{dir.path() / "mock"};
    std::unique_ptr<Agent> agent;

    explicit Setup(const std::string& agentConfig = "") {
        mock.start();
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl(), agentConfig);
        agent->start();
    }
};

std::string accept(const Agent& agent, const std::string& json) {
    auto reply = agent.submit(json);
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    return parseJsonObject(reply.body)->getValue<std::string>("messageId");
}

bool auditHas(const Agent& agent, const std::string& messageId, const std::string& event,
              const std::string& detailPart) {
    auto rows =
        parseJsonObject(agent.api().get("/v1/audit?after=0&limit=1000").body)->getArray("rows");
    for (std::size_t i = 0; i < rows->size(); ++i) {
        auto row = rows->getObject(static_cast<unsigned>(i));
        if (row->getValue<std::string>("messageId") == messageId &&
            row->getValue<std::string>("event") == event &&
            row->getValue<std::string>("detail").find(detailPart) != std::string::npos) {
            return true;
        }
    }
    return false;
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("a prescription survives two injected 503s and is processed once by Spine") {
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "PORX_IN020101SM31", "times": 2, "fault": {"type": "http", "status": 503}})");

        const auto messageId = accept(*s.agent, prescriptionJson());

        REQUIRE(s.agent->waitForState(messageId, "acked"));
        auto message = s.agent->message(messageId);
        CHECK(message->getValue<int>("attempts") == 3);
        CHECK(s.mock.journalCount(messageId, "fault") == 2);
        CHECK(s.mock.journalCount(messageId, "processed") == 1);
        CHECK(auditHas(*s.agent, messageId, "retry-scheduled", "http-503"));
        CHECK(auditHas(*s.agent, messageId, "acked", ""));
    }

    TEST_CASE("a second prescription reusing an accepted prescription ID fails with Spine's 0002") {
        Setup s;
        const std::string prescriptionId = "24F5DA-A83008-7EFE6Z";
        const auto first = accept(*s.agent, prescriptionJson(prescriptionId));
        REQUIRE(s.agent->waitForState(first, "acked"));

        const auto second = accept(*s.agent, prescriptionJson(prescriptionId));
        REQUIRE(s.agent->waitForState(second, "failed"));

        auto message = s.agent->message(second);
        auto error = message->getObject("lastError");
        REQUIRE(error);
        CHECK(error->getValue<std::string>("code") == "0002");
        CHECK(message->getValue<int>("attempts") == 1);
        CHECK(auditHas(*s.agent, second, "failed", "0002"));
        CHECK(s.mock.journalCount(second, "processed") == 1);
    }

    TEST_CASE("a permanent ebXML MessageError fails the message without a retry") {
        Setup s;
        s.mock.injectFault(R"({"interaction": "*", "times": 1, "fault": {"type": "messageError",
        "errorCode": "ValueNotRecognized", "description": "501319:Unknown eb:CPAId"}})");
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "failed"));
        auto error = s.agent->message(messageId)->getObject("lastError");
        CHECK(error->getValue<std::string>("code") == "ValueNotRecognized");
        CHECK(s.agent->message(messageId)->getValue<int>("attempts") == 1);
    }

    TEST_CASE("retriable SOAP faults 200 and 206 are retried until Spine accepts") {
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "*", "times": 1, "fault": {"type": "soapFault", "codes": ["200"]}})");
        s.mock.injectFault(
            R"({"interaction": "*", "times": 1, "fault": {"type": "soapFault", "codes": ["206"]}})");
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "acked"));
        CHECK(s.agent->message(messageId)->getValue<int>("attempts") == 3);
        CHECK(s.mock.journalCount(messageId, "processed") == 1);
    }

    TEST_CASE("a hung Spine is cut off by the client timeout and the message retried") {
        Setup s("http.timeout = PT0.5S\n");
        s.mock.injectFault(
            R"({"interaction": "*", "times": 1, "fault": {"type": "hang", "seconds": 5}})");
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "acked"));
        CHECK(s.agent->message(messageId)->getValue<int>("attempts") == 2);
        CHECK(auditHas(*s.agent, messageId, "retry-scheduled", "transport-timeout"));
        auto status = parseJsonObject(s.agent->api().get("/v1/status").body);
        CHECK(status->getObject("lastTransportError")->getValue<std::string>("code") ==
              "transport-timeout");
    }

    TEST_CASE("a connection reset before any reply is retried") {
        Setup s;
        s.mock.injectFault(R"({"interaction": "*", "times": 1, "fault": {"type": "reset"}})");
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "acked"));
        CHECK(s.agent->message(messageId)->getValue<int>("attempts") == 2);
        CHECK(s.mock.journalCount(messageId, "processed") == 1);
    }

    TEST_CASE("a message past its persist duration expires and is not sent again") {
        Setup s("eps.persistDuration = PT1S\nretry.baseDelay = PT0.3S\nretry.maxDelay = PT0.3S\n");
        s.mock.injectFault(
            R"({"interaction": "*", "times": 1000, "fault": {"type": "http", "status": 503}})");
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "expired"));
        const auto attempts = s.agent->message(messageId)->getValue<int>("attempts");
        s.mock.clearFaults();
        // Spine is healthy again: an expired message must still never be sent. A fresh message
        // going through proves the dispatcher had its chance to send the expired one.
        const auto later = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(later, "acked"));
        CHECK(s.agent->stateOf(messageId) == "expired");
        CHECK(s.agent->message(messageId)->getValue<int>("attempts") == attempts);
        CHECK(s.mock.journalCount(messageId, "processed") == 0);
        auto status = parseJsonObject(s.agent->api().get("/v1/status").body);
        CHECK(status->getObject("counts")->getValue<int>("expired") == 1);
    }

    TEST_CASE("an agent killed with SIGKILL mid-traffic sends every message once after restart") {
        Setup s;
        // Spine answers slowly, so the kill lands with messages queued and in flight.
        s.mock.injectFault(
            R"({"interaction": "*", "times": 1000, "fault": {"type": "delay", "ms": 150}})");
        std::vector<std::string> ids;
        for (int i = 0; i < 12; ++i) {
            ids.push_back(accept(*s.agent, prescriptionJson()));
        }
        // Wait for the first to reach Spine so that some are in flight when we kill.
        REQUIRE(waitUntil([&] {
            for (const auto& id : ids) {
                if (s.mock.journalCount(id, "processed") > 0) {
                    return true;
                }
            }
            return false;
        }));
        s.agent->kill9();
        s.mock.clearFaults();

        s.agent->start();
        for (const auto& id : ids) {
            CHECK_MESSAGE(s.agent->waitForState(id, "acked"), id);
        }
        std::set<std::string> processed;
        int processedEntries = 0;
        for (const auto& entry : s.mock.journal()) {
            if (entry->getValue<std::string>("outcome") == "processed") {
                ++processedEntries;
                processed.insert(entry->getValue<std::string>("messageId"));
            }
        }
        CHECK(processedEntries == static_cast<int>(ids.size()));
        CHECK(processed.size() == ids.size());
    }

    TEST_CASE("spine-mock restarting keeps its journal and still answers replays") {
        Setup s;
        const auto messageId = accept(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(messageId, "acked"));
        s.mock.kill9();
        s.mock.start();
        CHECK(s.mock.journalCount(messageId, "processed") == 1);
    }

} // TEST_SUITE
