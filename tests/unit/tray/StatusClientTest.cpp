#include "TrayTestSupport.hpp"

#include <gp/tray/StatusClient.hpp>

#include <doctest/doctest.h>

#include <QFile>
#include <QTemporaryDir>

using namespace gp::tray;
using namespace std::chrono_literals;
using gp::tray::test::FakeAgent;
using gp::tray::test::statusJson;
using gp::tray::test::waitFor;

namespace {

void writeFile(const QString& path, const QByteArray& content) {
    QFile file(path);
    REQUIRE(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(content);
}

// A client with short timings and everything it reports collected for the test to look at.
struct Harness {
    QTemporaryDir dir;
    QString tokenFile = dir.filePath("tray-token");
    std::unique_ptr<StatusClient> client;
    std::vector<AgentStatus> statuses;
    std::vector<std::pair<Problem, QString>> problems;
    std::vector<std::chrono::milliseconds> delaysAfterProblem;
    std::vector<ActionResult> actions;

    explicit Harness(const QUrl& agentUrl, const QByteArray& token = "read-token-1\n") {
        gp::tray::test::ensureQtApp();
        writeFile(tokenFile, token);
        ClientOptions options;
        options.agentUrl = agentUrl;
        options.tokenFile = tokenFile;
        options.pollInterval = 20ms;
        options.backoffBase = 10ms;
        options.backoffMax = 40ms;
        options.requestTimeout = 2s;
        client = std::make_unique<StatusClient>(options);
        QObject::connect(client.get(), &StatusClient::statusReceived,
                         [this](const AgentStatus& status) { statuses.push_back(status); });
        QObject::connect(client.get(), &StatusClient::problemOccurred,
                         [this](Problem problem, const QString& detail) {
                             problems.emplace_back(problem, detail);
                             delaysAfterProblem.push_back(client->nextPollDelay());
                         });
        QObject::connect(client.get(), &StatusClient::actionFinished,
                         [this](const ActionResult& result) { actions.push_back(result); });
    }
};

} // namespace

TEST_SUITE("tray") {
    TEST_CASE("client: polls the status with the bearer token from the file, again and again") {
        FakeAgent agent;
        agent.setReply("/v1/status", 200, statusJson(R"({"queued": 2, "acked": 5})"));
        Harness h(agent.url());
        h.client->start();
        REQUIRE(waitFor([&] { return h.statuses.size() >= 3; }));
        CHECK(h.statuses.front().counts.queued == 2);
        CHECK(h.problems.empty());
        CHECK(agent.requests().front().method == "GET");
        CHECK(agent.requests().front().authorization == "Bearer read-token-1");
        CHECK(h.client->nextPollDelay() == 20ms);
    }

    TEST_CASE("client: a replaced token file is used from the next poll") {
        FakeAgent agent;
        agent.setReply("/v1/status", 200, statusJson());
        Harness h(agent.url());
        h.client->start();
        REQUIRE(waitFor([&] { return h.statuses.size() >= 1; }));
        writeFile(h.tokenFile, "read-token-2");
        REQUIRE(waitFor(
            [&] { return agent.requests().back().authorization == "Bearer read-token-2"; }));
    }

    TEST_CASE("client: an unreachable agent is retried with doubling delays up to the cap") {
        Harness h(gp::tray::test::unusedLocalUrl());
        h.client->start();
        REQUIRE(waitFor([&] { return h.problems.size() >= 4; }));
        CHECK(h.problems.front().first == Problem::Unreachable);
        CHECK_FALSE(h.problems.front().second.isEmpty());
        CHECK(h.delaysAfterProblem[0] == 10ms);
        CHECK(h.delaysAfterProblem[1] == 20ms);
        CHECK(h.delaysAfterProblem[2] == 40ms);
        CHECK(h.delaysAfterProblem[3] == 40ms);
        CHECK(h.client->consecutiveFailures() >= 4);
    }

    TEST_CASE("client: after failures a good answer resets the backoff to the poll interval") {
        FakeAgent agent;
        agent.setReply("/v1/status", 503, R"({"errors": [{"field": "", "message": "starting"}]})");
        Harness h(agent.url());
        h.client->start();
        REQUIRE(waitFor([&] { return h.problems.size() >= 2; }));
        CHECK(h.problems.front().first == Problem::BadReply);
        CHECK(h.problems.front().second == "HTTP 503: starting");
        agent.setReply("/v1/status", 200, statusJson());
        REQUIRE(waitFor([&] { return !h.statuses.empty(); }));
        CHECK(h.client->consecutiveFailures() == 0);
        CHECK(h.client->nextPollDelay() == 20ms);
    }

    TEST_CASE("client: 401 is a refused token and 403 a scope too small") {
        FakeAgent agent;
        SUBCASE("401") {
            agent.setReply(
                "/v1/status", 401,
                R"({"errors": [{"field": "Authorization", "message": "missing or wrong bearer token"}]})");
            Harness h(agent.url());
            h.client->start();
            REQUIRE(waitFor([&] { return !h.problems.empty(); }));
            CHECK(h.problems.front().first == Problem::TokenRefused);
            CHECK(h.problems.front().second == "HTTP 401: missing or wrong bearer token");
            CHECK(h.statuses.empty());
        }
        SUBCASE("403") {
            agent.setReply("/v1/status", 403, R"({"errors": [{"field": "", "message": "scope"}]})");
            Harness h(agent.url());
            h.client->start();
            REQUIRE(waitFor([&] { return !h.problems.empty(); }));
            CHECK(h.problems.front().first == Problem::Forbidden);
        }
    }

    TEST_CASE("client: a missing token file is reported without asking the agent") {
        FakeAgent agent;
        agent.setReply("/v1/status", 200, statusJson());
        Harness h(agent.url());
        QFile::remove(h.tokenFile);
        h.client->start();
        REQUIRE(waitFor([&] { return !h.problems.empty(); }));
        CHECK(h.problems.front().first == Problem::Misconfigured);
        CHECK(
            h.problems.front().second.startsWith("token file " + h.tokenFile + " cannot be read"));
        CHECK(agent.requests().empty());
        // The IT lead puts the file in place: the next poll finds it.
        writeFile(h.tokenFile, "read-token-1");
        REQUIRE(waitFor([&] { return !h.statuses.empty(); }));
    }

    TEST_CASE("client: a status body the tray cannot read is a bad reply naming the field") {
        FakeAgent agent;
        agent.setReply("/v1/status", 200, statusJson(R"({"failed": "two"})"));
        Harness h(agent.url());
        h.client->start();
        REQUIRE(waitFor([&] { return !h.problems.empty(); }));
        CHECK(h.problems.front().first == Problem::BadReply);
        CHECK(h.problems.front().second == "counts.failed is not a count (a number, 0 or more)");
    }

    TEST_CASE("client: retry-failed, pause and resume are posted and their answers read") {
        FakeAgent agent;
        agent.setReply("/v1/status", 200, statusJson());
        agent.setReply("/v1/messages/retry-failed", 202, R"({"retried": 3})");
        agent.setReply("/v1/dispatch/pause", 200, R"({"paused": true})");
        agent.setReply(
            "/v1/dispatch/resume", 403,
            R"({"errors": [{"field": "Authorization", "message": "needs scope operate"}]})");
        Harness h(agent.url());
        h.client->request(AgentAction::RetryFailed);
        REQUIRE(waitFor([&] { return h.actions.size() == 1; }));
        h.client->request(AgentAction::Pause);
        REQUIRE(waitFor([&] { return h.actions.size() == 2; }));
        h.client->request(AgentAction::Resume);
        REQUIRE(waitFor([&] { return h.actions.size() == 3; }));

        CHECK(h.actions[0].problem == Problem::None);
        CHECK(h.actions[0].retried == 3);
        CHECK(h.actions[1].paused == true);
        CHECK(h.actions[2].problem == Problem::Forbidden);
        CHECK(h.actions[2].httpStatus == 403);
        CHECK(h.actions[2].detail == "needs scope operate");
        CHECK(agent.requestCount("/v1/messages/retry-failed") == 1);
        for (const auto& request : agent.requests()) {
            if (request.path != "/v1/status") {
                CHECK(request.method == "POST");
                CHECK(request.authorization == "Bearer read-token-1");
            }
        }
        // Each action is followed by a fresh status, so the menu shows its effect at once.
        REQUIRE(waitFor([&] { return h.statuses.size() >= 1; }));
    }

    TEST_CASE("client: an HTTPS agent is trusted through the CA file, refused without it") {
        const auto& pki = gp::tray::test::testPki();
        FakeAgent agent(&pki);
        agent.setReply("/v1/status", 200, statusJson(R"({"acked": 3})"));
        SUBCASE("with the practice's CA file") {
            Harness h(agent.url());
            auto options = h.client->options();
            options.caFile = pki.caFile;
            h.client->setOptions(options);
            REQUIRE(waitFor([&] { return !h.statuses.empty(); }));
            CHECK(h.statuses.front().counts.acked == 3);
            CHECK(agent.requests().front().authorization == "Bearer read-token-1");
        }
        SUBCASE("without it the certificate is not trusted and nothing is sent") {
            Harness h(agent.url());
            h.client->start();
            REQUIRE(waitFor([&] { return !h.problems.empty(); }));
            CHECK(h.problems.front().first == Problem::Unreachable);
            CHECK(h.statuses.empty());
            CHECK(agent.requests().empty());
        }
        SUBCASE("a CA file without a certificate is a settings problem") {
            Harness h(agent.url());
            auto options = h.client->options();
            options.caFile = h.tokenFile; // readable, but no PEM certificate
            h.client->setOptions(options);
            REQUIRE(waitFor([&] { return !h.problems.empty(); }));
            CHECK(h.problems.front().first == Problem::Misconfigured);
            CHECK(h.problems.front().second ==
                  "CA file " + h.tokenFile + " holds no PEM certificate (or cannot be read)");
        }
    }

    TEST_CASE("client: an action against an unreachable agent is reported, not thrown") {
        Harness h(gp::tray::test::unusedLocalUrl());
        h.client->request(AgentAction::Pause);
        REQUIRE(waitFor([&] { return !h.actions.empty(); }));
        CHECK(h.actions.front().problem == Problem::Unreachable);
        CHECK(h.actions.front().action == AgentAction::Pause);
    }

    TEST_CASE("client: new settings drop the old agent and poll the new one at once") {
        FakeAgent oldAgent;
        FakeAgent newAgent;
        oldAgent.setReply("/v1/status", 200, statusJson(R"({"queued": 1})"));
        newAgent.setReply("/v1/status", 200, statusJson(R"({"queued": 9})"));
        Harness h(oldAgent.url());
        h.client->start();
        REQUIRE(waitFor([&] { return !h.statuses.empty(); }));
        auto options = h.client->options();
        options.agentUrl = QUrl(newAgent.url().toString() + "/");
        h.client->setOptions(options);
        REQUIRE(waitFor([&] { return h.statuses.back().counts.queued == 9; }));
        CHECK(newAgent.requests().front().path == "/v1/status");
        CHECK(h.problems.empty());
    }
}
