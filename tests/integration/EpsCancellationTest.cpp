// EPS cancellations and Spine's deferred replies end to end: gp-agent sends PORX_IN030101SM32,
// spine-mock answers by its own rules (PORX_IN050101UK31), and the agent records each item's
// state where GET /v1/eps/prescriptions/{id} shows it.

#include "ProcessHarness.hpp"

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

using namespace gp::test;

namespace {

struct Setup {
    TempDir dir{"gp-eps-cancel"};
    SpineMock mock;
    std::unique_ptr<Agent> agent;

    explicit Setup(const std::string& mockConfig = "") : mock(dir.path() / "mock", mockConfig) {
        mock.start();
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl());
        agent->start();
    }
};

struct Submitted {
    std::string messageId;
    std::string prescriptionId;
    std::vector<std::string> itemIds;
};

Submitted submit(const Agent& agent, const std::string& json) {
    auto reply = agent.submit(json);
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    auto body = parseJsonObject(reply.body);
    Submitted out{body->getValue<std::string>("messageId"),
                  body->getValue<std::string>("prescriptionId"),
                  {}};
    auto items = body->getArray("items");
    REQUIRE(items);
    for (std::size_t i = 0; i < items->size(); ++i) {
        out.itemIds.push_back(
            items->getObject(static_cast<unsigned>(i))->getValue<std::string>("lineItemId"));
    }
    return out;
}

std::string cancel(const Agent& agent, const std::string& json) {
    auto reply = agent.api().post("/v1/eps/cancellations", json);
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    auto body = parseJsonObject(reply.body);
    CHECK(body->getValue<std::string>("state") == "queued");
    return body->getValue<std::string>("messageId");
}

std::string cancelJson(const std::string& prescriptionId, const std::string& lineItemId,
                       const std::string& reason = "0001") {
    return R"({"prescriptionId": ")" + prescriptionId + R"(", "lineItemId": ")" + lineItemId +
           R"(", "reason": ")" + reason + R"("})";
}

/// The item as GET /v1/eps/prescriptions/{id} shows it; null when absent.
Poco::JSON::Object::Ptr itemOf(const Agent& agent, const std::string& prescriptionId,
                               const std::string& lineItemId) {
    auto reply = agent.api().get("/v1/eps/prescriptions/" + prescriptionId);
    if (reply.status != 200) {
        return nullptr;
    }
    auto items = parseJsonObject(reply.body)->getArray("items");
    for (std::size_t i = 0; items && i < items->size(); ++i) {
        auto item = items->getObject(static_cast<unsigned>(i));
        if (item->getValue<std::string>("lineItemId") == lineItemId) {
            return item;
        }
    }
    return nullptr;
}

std::string itemState(const Agent& agent, const std::string& prescriptionId,
                      const std::string& lineItemId) {
    auto item = itemOf(agent, prescriptionId, lineItemId);
    return item ? item->getValue<std::string>("state") : "";
}

bool waitForItem(const Agent& agent, const std::string& prescriptionId,
                 const std::string& lineItemId, const std::string& state) {
    return waitUntil([&] { return itemState(agent, prescriptionId, lineItemId) == state; },
                     std::chrono::seconds(30));
}

std::string codeOf(const Agent& agent, const std::string& prescriptionId,
                   const std::string& lineItemId) {
    auto item = itemOf(agent, prescriptionId, lineItemId);
    if (!item || item->isNull("code")) {
        return "";
    }
    return item->getValue<std::string>("code");
}

bool historyHas(const Agent& agent, const std::string& messageId, const std::string& event) {
    auto history = agent.message(messageId)->getArray("history");
    for (std::size_t i = 0; history && i < history->size(); ++i) {
        if (history->getObject(static_cast<unsigned>(i))->getValue<std::string>("event") == event) {
            return true;
        }
    }
    return false;
}

constexpr const char* kPrescriber =
    R"({"odsCode": "A83008", "sdsUserId": "555086689106", "sdsRoleProfileId": "555086718101",
        "name": "DR A JONES", "professionalCode": "G1234567"})";

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("cancelling a live item of an accepted prescription gets 0001 and the item is "
              "cancelled") {
        Setup s;
        const auto sent = submit(*s.agent, prescriptionJson("", 2));
        REQUIRE(sent.itemIds.size() == 2);
        REQUIRE(s.agent->waitForState(sent.messageId, "acked"));
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "sent"));

        const auto cancelId = cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0]));
        REQUIRE(s.agent->waitForState(cancelId, "acked"));
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "cancelled"));
        CHECK(codeOf(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "0001");
        CHECK(s.mock.journalCount(cancelId, "processed") == 1);
        // The other item is untouched.
        CHECK(itemState(*s.agent, sent.prescriptionId, sent.itemIds[1]) == "sent");

        // Spine's rules again: a second cancellation of the same item is 0006.
        const auto again = cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0]));
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "already-cancelled"));
        CHECK(codeOf(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "0006");

        // Both cancellations and the prescription are listed with the prescription.
        auto view = parseJsonObject(
            s.agent->api().get("/v1/eps/prescriptions/" + sent.prescriptionId).body);
        CHECK(view->getArray("messages")->size() == 3);
        CHECK(s.agent->stateOf(again) == "acked");
    }

    TEST_CASE("an item the dispenser has dispensed is not cancelled: 0004") {
        Setup s;
        const auto sent = submit(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(sent.messageId, "acked"));
        auto marked = s.mock.post("/_admin/eps/dispensed",
                                  R"({"prescriptionId": ")" + sent.prescriptionId +
                                      R"(", "lineItemId": ")" + sent.itemIds[0] + R"("})",
                                  {});
        REQUIRE_MESSAGE(marked.status == 200, marked.body);

        cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0], "0005"));
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "dispensed"));
        CHECK(codeOf(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "0004");
    }

    TEST_CASE("cancelling a prescription this agent never sent is still sent, and Spine says "
              "0008") {
        Setup s;
        const std::string prescriptionId = "0DA698-A83008-F50593";
        const std::string lineItemId = "3E3B5A1C-7D2F-4E8A-9B1C-5D6E7F809A1B";
        const auto cancelId =
            cancel(*s.agent, R"({"prescriptionId": ")" + std::string(prescriptionId) +
                                 R"(", "lineItemId": ")" + lineItemId +
                                 R"(", "reason": "0002", "nhsNumber": "9449304130",
                                 "prescriber": )" +
                                 kPrescriber + "}");
        REQUIRE(s.agent->waitForState(cancelId, "acked"));
        REQUIRE(waitForItem(*s.agent, prescriptionId, lineItemId, "not-found"));
        CHECK(codeOf(*s.agent, prescriptionId, lineItemId) == "0008");
        // Spine cannot tell an unknown prescription from one still to come: it keeps the
        // cancellation.
        CHECK(s.mock.journalCount(cancelId, "held") == 1);
    }

    TEST_CASE("a cancellation that overtakes its prescription is held by Spine and applied when "
              "the prescription lands") {
        Setup s;
        // The prescription's first attempt is refused, and the agent waits 3 s to try again.
        s.mock.injectFault(R"({"interaction": "PORX_IN020101SM31", "times": 1,
                              "fault": {"type": "http", "status": 503, "retryAfter": 3}})");
        const auto sent = submit(*s.agent, prescriptionJson());
        CHECK(itemState(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "queued");

        const auto cancelId = cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0]));
        REQUIRE(s.agent->waitForState(cancelId, "acked"));
        CHECK(s.mock.journalCount(cancelId, "held") == 1);

        REQUIRE(s.agent->waitForState(sent.messageId, "acked"));
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "cancelled"));
        CHECK(codeOf(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "0001");
        // The mock's journal shows the held cancellation applied when the prescription landed,
        // and a new cancellation of the item finds it cancelled already.
        CHECK(s.mock.journalCount(cancelId, "held-applied") == 1);
        CHECK(s.mock.journalCount(sent.messageId, "processed") == 1);
        const auto again = cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0]));
        REQUIRE(s.agent->waitForState(again, "acked"));
        CHECK(s.mock.journalCount(again, "processed") == 1);
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "already-cancelled"));
    }

    TEST_CASE("a prescription answered 202 and a poll address is acked after polling, with the "
              "reply recorded") {
        Setup s;
        s.mock.injectFault(
            R"({"interaction": "PORX_IN020101SM31", "fault": {"type": "deferred", "polls": 1}})");
        const auto sent = submit(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(sent.messageId, "acked", std::chrono::seconds(40)));
        CHECK(historyHas(*s.agent, sent.messageId, "reply-deferred"));
        CHECK(s.mock.journalCount(sent.messageId, "processed") == 1);
        CHECK(s.mock.journalCount(sent.messageId, "deferred") == 1);
        CHECK(s.mock.journalCount(sent.messageId, "polled") == 2);
        CHECK(s.agent->message(sent.messageId)->getValue<int>("attempts") == 1);
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "sent"));
    }

    TEST_CASE("a cancellation whose response comes by polling still sets the item's state") {
        Setup s("mock.deferredReplies = PORX_IN030101SM32\n");
        const auto sent = submit(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(sent.messageId, "acked"));
        const auto cancelId = cancel(*s.agent, cancelJson(sent.prescriptionId, sent.itemIds[0]));
        REQUIRE(s.agent->waitForState(cancelId, "acked", std::chrono::seconds(40)));
        CHECK(historyHas(*s.agent, cancelId, "reply-deferred"));
        CHECK(s.mock.journalCount(cancelId, "deferred") == 1);
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "cancelled"));
        CHECK(codeOf(*s.agent, sent.prescriptionId, sent.itemIds[0]) == "0001");
    }

    TEST_CASE("gp-agentctl cancels an item and shows the prescription's items") {
        Setup s;
        const auto sent = submit(*s.agent, prescriptionJson());
        REQUIRE(s.agent->waitForState(sent.messageId, "acked"));
        const auto cancelled = runAgentCtl(
            s.agent->configFile(), {"eps", "cancel", sent.prescriptionId, sent.itemIds[0], "0004"});
        CHECK_MESSAGE(cancelled.exitCode == 0, cancelled.output);
        CHECK(cancelled.output.find("accepted: cancellation message") != std::string::npos);
        REQUIRE(waitForItem(*s.agent, sent.prescriptionId, sent.itemIds[0], "cancelled"));
        const auto shown = runAgentCtl(s.agent->configFile(), {"eps", "show", sent.prescriptionId});
        CHECK_MESSAGE(shown.exitCode == 0, shown.output);
        CHECK(shown.output.find(sent.itemIds[0] + "  cancelled  0001") != std::string::npos);
        CHECK(shown.output.find("PORX_IN030101SM32  acked") != std::string::npos);
        const auto refused = runAgentCtl(
            s.agent->configFile(), {"eps", "cancel", sent.prescriptionId, sent.itemIds[0], "0042"});
        CHECK(refused.exitCode == 1);
        CHECK(refused.output.find("reason") != std::string::npos);
    }

    TEST_CASE("a cancellation naming an item the prescription does not have is refused with the "
              "field") {
        Setup s;
        const auto sent = submit(*s.agent, prescriptionJson());
        auto reply = s.agent->api().post(
            "/v1/eps/cancellations",
            cancelJson(sent.prescriptionId, "3E3B5A1C-7D2F-4E8A-9B1C-5D6E7F809A1B", "0042"));
        CHECK(reply.status == 400);
        auto errors = parseJsonObject(reply.body)->getArray("errors");
        REQUIRE(errors);
        std::vector<std::string> fields;
        for (std::size_t i = 0; i < errors->size(); ++i) {
            fields.push_back(
                errors->getObject(static_cast<unsigned>(i))->getValue<std::string>("field"));
        }
        CHECK(std::find(fields.begin(), fields.end(), "lineItemId") != fields.end());
        CHECK(std::find(fields.begin(), fields.end(), "reason") != fields.end());
    }
}
