// The status page and the staff actions behind it, over real HTTP against real processes: the
// page's files served without a token and with a strict policy; failed messages listed with a
// plain reason; retry, acknowledge, retry-all, pause and resume, each audited with the caller.

#include "ProcessHarness.hpp"

#include <gp/agent/api/ApiTokens.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using namespace gp::test;

namespace {

const std::string kFailOnce =
    R"({"interaction":"PORX_IN020101SM31","fault":{"type":"messageError",)"
    R"("errorCode":"ValueNotRecognized","description":"501319:Unknown eb:CPAId"}})";

struct Setup {
    TempDir dir{"gp-ops"};
    SpineMock mock{dir.path() / "mock"};
    Agent agent{dir.path() / "agent", ""};

    Setup() {
        mock.start();
        agent = Agent(dir.path() / "agent", mock.baseUrl());
        agent.start();
    }

    /// A prescription Spine refuses once with a MessageError: failed for good after one attempt.
    std::string failedMessage() {
        mock.injectFault(kFailOnce);
        const auto reply = agent.submit(prescriptionJson());
        REQUIRE(reply.status == 202);
        const auto accepted = parseJsonObject(reply.body);
        const std::string id = accepted->getValue<std::string>("messageId");
        lastPrescriptionId = accepted->getValue<std::string>("prescriptionId");
        REQUIRE(agent.waitForState(id, "failed"));
        return id;
    }

    std::string itemStateOf(const std::string& prescriptionId) {
        const auto view =
            parseJsonObject(agent.api().get("/v1/eps/prescriptions/" + prescriptionId).body);
        return view->getArray("items")->getObject(0)->getValue<std::string>("state");
    }

    std::string lastPrescriptionId;

    Poco::JSON::Object::Ptr status() { return parseJsonObject(agent.api().get("/v1/status").body); }

    /// Actors of the message's audit rows with this event.
    std::vector<std::string> actorsOf(const std::string& id, const std::string& event) {
        std::vector<std::string> actors;
        const auto history = agent.message(id)->getArray("history");
        for (std::size_t i = 0; i < history->size(); ++i) {
            const auto row = history->getObject(static_cast<unsigned>(i));
            if (row->getValue<std::string>("event") == event) {
                actors.push_back(row->getValue<std::string>("actor"));
            }
        }
        return actors;
    }
};

struct RawReply {
    int status = 0;
    std::string contentType;
    std::string cacheControl;
    std::string policy;
    std::string body;
};

RawReply getWithoutToken(int port, const std::string& path) {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
    RawReply reply;
    reply.status = static_cast<int>(response.getStatus());
    reply.contentType = response.getContentType();
    reply.cacheControl = response.get("Cache-Control", "");
    reply.policy = response.get("Content-Security-Policy", "");
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
}

/// Adds a named token with `scope` to the agent's tokens file; returns the token.
std::string addToken(const Agent& agent, const std::string& name, const std::string& scope) {
    const std::string token = gp::agent::api::newSecretToken();
    const auto file = agent.stateDir() / "api-tokens";
    {
        std::ofstream out(file, std::ios::app);
        out << name << ' ' << scope << " 2026-01-01T00:00:00Z " << gp::agent::api::tokenHash(token)
            << '\n';
    }
    std::filesystem::permissions(file, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write);
    return token;
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("the status page's files are served without a token, uncached, under a strict "
              "policy; the API behind it still needs one") {
        Setup s;
        const RawReply page = getWithoutToken(s.agent.apiPort(), "/");
        CHECK(page.status == 200);
        CHECK(page.contentType == "text/html; charset=utf-8");
        CHECK(page.cacheControl == "no-store");
        CHECK(page.policy.find("default-src 'none'") != std::string::npos);
        CHECK(page.policy.find("script-src 'self'") != std::string::npos);
        CHECK(page.body.find("<script src=\"/status.js\"") != std::string::npos);
        CHECK(page.body.find("http://") == std::string::npos); // nothing from elsewhere
        CHECK(page.body.find("https://") == std::string::npos);

        const RawReply script = getWithoutToken(s.agent.apiPort(), "/status.js");
        CHECK(script.status == 200);
        CHECK(script.contentType == "text/javascript; charset=utf-8");
        CHECK(script.body.find("sessionStorage") != std::string::npos);
        const RawReply style = getWithoutToken(s.agent.apiPort(), "/status.css");
        CHECK(style.status == 200);
        CHECK(style.contentType == "text/css; charset=utf-8");

        CHECK(getWithoutToken(s.agent.apiPort(), "/v1/status").status == 401);
        CHECK(getWithoutToken(s.agent.apiPort(), "/v1/messages?state=failed").status == 401);
    }

    TEST_CASE("a failed message is listed with a plain reason, retried by staff and delivered; "
              "the retry is audited with the token's name") {
        Setup s;
        const std::string id = s.failedMessage();

        auto status = s.status();
        CHECK(status->getValue<int>("needsAttention") == 1);
        CHECK_FALSE(status->getValue<bool>("paused"));
        CHECK_FALSE(status->isNull("lastSentAt"));
        CHECK(status->getObject("gp2gp")->getValue<int>("inProgress") == 0);

        const auto listed = parseJsonObject(
            s.agent.api().get("/v1/messages?state=failed&state=expired&limit=10").body);
        const auto messages = listed->getArray("messages");
        REQUIRE(messages->size() == 1);
        const auto failed = messages->getObject(0);
        CHECK(failed->getValue<std::string>("messageId") == id);
        CHECK(failed->getObject("lastError")->getValue<std::string>("code") ==
              "ValueNotRecognized");
        CHECK(failed->getValue<std::string>("reason").find("CPA ID") != std::string::npos);
        CHECK_FALSE(failed->getValue<bool>("acknowledged"));
        CHECK(parseJsonObject(s.agent.api().get("/v1/messages?state=acked").body)
                  ->getArray("messages")
                  ->size() == 0);

        REQUIRE(waitUntil([&] { return s.itemStateOf(s.lastPrescriptionId) == "rejected"; }));

        const auto retried = s.agent.api().post("/v1/messages/" + id + "/retry", "");
        CHECK(retried.status == 202);
        CHECK(parseJsonObject(retried.body)->getValue<std::string>("state") == "queued");
        REQUIRE(s.agent.waitForState(id, "acked"));
        // The prescription's item follows the retry's outcome, not the first failure's.
        CHECK(waitUntil([&] { return s.itemStateOf(s.lastPrescriptionId) == "sent"; }));
        CHECK(s.actorsOf(id, "retry-requested") ==
              std::vector<std::string>{"api:" + std::string(gp::agent::api::kAdminTokenName)});
        // Spine saw the MessageId twice: refused by the fault, then processed once.
        CHECK(s.mock.journalCount(id, "fault") == 1);
        CHECK(s.mock.journalCount(id, "processed") == 1);
        CHECK(s.status()->getValue<int>("needsAttention") == 0);

        const auto again = s.agent.api().post("/v1/messages/" + id + "/retry", "");
        CHECK(again.status == 409);
        CHECK(again.body.find("only a failed or expired message can be retried") !=
              std::string::npos);
        CHECK(s.agent.api().post("/v1/messages/NO-SUCH-MESSAGE/retry", "").status == 404);
    }

    TEST_CASE("an acknowledged failure stops needing attention; acknowledging is audited") {
        Setup s;
        const std::string id = s.failedMessage();
        const auto done = s.agent.api().post("/v1/messages/" + id + "/acknowledge", "");
        CHECK(done.status == 200);
        CHECK(parseJsonObject(done.body)->getValue<bool>("acknowledged"));
        CHECK(s.status()->getValue<int>("needsAttention") == 0);
        CHECK(s.status()->getObject("counts")->getValue<int>("failed") == 1);
        CHECK(s.actorsOf(id, "acknowledged").size() == 1);
        CHECK(s.agent.message(id)->getValue<bool>("acknowledged"));
        CHECK(s.agent.api().post("/v1/messages/NO-SUCH-MESSAGE/acknowledge", "").status == 404);
    }

    TEST_CASE("retry-failed queues every failed message again, each audited") {
        Setup s;
        const std::string first = s.failedMessage();
        const std::string second = s.failedMessage();
        const auto reply = s.agent.api().post("/v1/messages/retry-failed", "");
        CHECK(reply.status == 202);
        CHECK(parseJsonObject(reply.body)->getValue<int>("retried") == 2);
        CHECK(s.agent.waitForState(first, "acked"));
        CHECK(s.agent.waitForState(second, "acked"));
        CHECK(s.actorsOf(first, "retry-requested").size() == 1);
        CHECK(s.actorsOf(second, "retry-requested").size() == 1);
    }

    TEST_CASE("while sending is paused submissions are accepted and wait, across a restart; "
              "resuming sends them") {
        Setup s;
        const auto paused = s.agent.api().post("/v1/dispatch/pause", "");
        CHECK(paused.status == 200);
        CHECK(parseJsonObject(paused.body)->getValue<bool>("paused"));
        const auto reply = s.agent.submit(prescriptionJson());
        REQUIRE(reply.status == 202);
        const std::string id = parseJsonObject(reply.body)->getValue<std::string>("messageId");

        REQUIRE(s.agent.stop() == 0);
        s.agent.start(); // its dispatcher's first pass runs at start-up
        CHECK(s.status()->getValue<bool>("paused"));
        CHECK(s.agent.stateOf(id) == "queued");
        CHECK(s.agent.message(id)->getValue<int>("attempts") == 0);
        CHECK(s.mock.journalCount(id, "processed") == 0);

        const auto resumed = s.agent.api().post("/v1/dispatch/resume", "");
        CHECK(resumed.status == 200);
        CHECK_FALSE(parseJsonObject(resumed.body)->getValue<bool>("paused"));
        CHECK(s.agent.waitForState(id, "acked"));

        const auto audit = parseJsonObject(s.agent.api().get("/v1/audit?latest=1000").body);
        std::vector<std::string> switches;
        const auto rows = audit->getArray("rows");
        for (std::size_t i = 0; i < rows->size(); ++i) {
            const auto row = rows->getObject(static_cast<unsigned>(i));
            const std::string event = row->getValue<std::string>("event");
            if (event == "dispatch-paused" || event == "dispatch-resumed") {
                switches.push_back(event + " by " + row->getValue<std::string>("actor"));
            }
        }
        CHECK(switches == std::vector<std::string>{"dispatch-paused by api:local-admin",
                                                   "dispatch-resumed by api:local-admin"});
    }

    TEST_CASE("a read-only token sees the failures but may not act: 403 naming the scope") {
        Setup s;
        const std::string id = s.failedMessage();
        const std::string token = addToken(s.agent, "front-desk", "read");
        gp::agent::ApiClient viewer("127.0.0.1", s.agent.apiPort(), token);

        CHECK(viewer.get("/v1/messages?state=failed").status == 200);
        const auto refused = viewer.post("/v1/messages/" + id + "/retry", "");
        CHECK(refused.status == 403);
        CHECK(refused.body.find("operate") != std::string::npos);
        CHECK(viewer.post("/v1/dispatch/pause", "").status == 403);
        CHECK(s.agent.stateOf(id) == "failed");

        const std::string operatorToken = addToken(s.agent, "practice-manager", "operate");
        gp::agent::ApiClient manager("127.0.0.1", s.agent.apiPort(), operatorToken);
        CHECK(manager.post("/v1/messages/" + id + "/acknowledge", "").status == 200);
        CHECK(s.actorsOf(id, "acknowledged") == std::vector<std::string>{"api:practice-manager"});
    }

    TEST_CASE("GET /v1/messages refuses an unknown state or limit, naming the field") {
        Setup s;
        const auto badState = s.agent.api().get("/v1/messages?state=lost");
        CHECK(badState.status == 400);
        CHECK(badState.body.find(R"("field":"state")") != std::string::npos);
        const auto badLimit = s.agent.api().get("/v1/messages?limit=0");
        CHECK(badLimit.status == 400);
        CHECK(badLimit.body.find(R"("field":"limit")") != std::string::npos);
    }

    TEST_CASE("every listing refuses a page size outside 1 to 10000, naming the parameter") {
        Setup s;
        const std::vector<std::pair<std::string, std::string>> refused = {
            {"/v1/messages?limit=10001", "limit"},
            {"/v1/gp2gp/transfers?limit=0", "limit"},
            {"/v1/audit?limit=ten", "limit"},
            {"/v1/audit?latest=0", "latest"},
        };
        for (const auto& [target, field] : refused) {
            CAPTURE(target);
            const auto reply = s.agent.api().get(target);
            CHECK(reply.status == 400);
            CHECK(reply.body.find(R"("field":")" + field + R"(","message":"must be a whole )" +
                                  R"(number from 1 to 10000")") != std::string::npos);
        }
        CHECK(s.agent.api().get("/v1/gp2gp/transfers?limit=10000").status == 200);
        CHECK(s.agent.api().get("/v1/audit?latest=1").status == 200);
    }
}
