// Mutual TLS between gp-agent and spine-mock, as the Spine requires (docs/security.md,
// "Transport: mutual TLS"): what is accepted end to end, and every certificate each side refuses.
// The PKI is made once per test process by tests/support/make-test-pki.sh.

#include "ProcessHarness.hpp"
#include "TlsHarness.hpp"

#include <gp/agent/Files.hpp>

#include <Poco/Exception.h>
#include <doctest/doctest.h>

#include <fstream>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const TestPractice kPracticeA{"A83008", "A83008-9199121", "200000001234"};
const TestPractice kPracticeB{"B86041", "B86041-9199122", "200000005678"};

/// A spine-mock on mutual TLS serving <certName>.pem; the harness's own calls present practice A.
struct TlsSpine {
    TempDir dir{"gp-tls"};
    SpineMock mock;

    explicit TlsSpine(const std::string& certName = "spine", const std::string& extra = "")
        : mock(dir.path() / "mock", spineMockTlsConfig(certName) + extra) {
        mock.useTls(tlsClientContext("practice-a"));
        mock.start();
    }
};

std::string submitted(const Agent& agent) {
    auto reply = agent.submit(prescriptionJson());
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    return parseJsonObject(reply.body)->getValue<std::string>("messageId");
}

/// The message was tried at least twice, failed in transport each time and is not acknowledged.
void refusedInTransport(const Agent& agent, const std::string& messageId) {
    REQUIRE(waitUntil([&] { return agent.message(messageId)->getValue<int>("attempts") >= 2; }));
    const auto view = agent.message(messageId);
    CHECK(view->getValue<std::string>("state") != "acked");
    REQUIRE_FALSE(view->isNull("lastError"));
    const auto code = view->getObject("lastError")->getValue<std::string>("code");
    CHECK_MESSAGE(code.rfind("transport-", 0) == 0, code);
}

/// Whether an HTTPS GET of /healthz presenting `identity` gets any HTTP answer at all.
bool answered(int port, const std::string& identity) {
    try {
        gp::agent::ApiClient client("localhost", port, "", tlsClientContext(identity));
        return client.get("/healthz").status == 200;
    } catch (const Poco::Exception&) {
        return false; // the handshake (or, in TLS 1.3, the first read after it) was refused
    }
}

/// Whether spine-mock's journal has any entry for the message (it records all it processes).
bool journalMentions(SpineMock& mock, const std::string& messageId) {
    for (const auto& entry : mock.journal()) {
        if (entry->getValue<std::string>("messageId") == messageId) {
            return true;
        }
    }
    return false;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("TLS: an EPS prescription is acknowledged over mutual TLS") {
        TlsSpine spine;
        Agent agent(spine.dir.path() / "agent", spine.mock.baseUrl(), agentTlsConfig("practice-a"),
                    kPracticeA);
        agent.start();
        const auto id = submitted(agent);
        REQUIRE(agent.waitForState(id, "acked"));
        CHECK(spine.mock.journalCount(id, "processed") == 1);
        CHECK(readFile(agent.logFile()).find("PLAIN HTTP") == std::string::npos);
    }

    TEST_CASE("TLS: a GP2GP record travels between two agents over mutual TLS both ways") {
        TlsSpine spine("spine", "mock.gp2gp.retryInterval = PT0.2S\n"
                                "mock.forwardRetryDelay = PT0.1S\nmock.forwardMaxDelay = PT0.5S\n");
        const fs::path records = spine.dir.path() / "records";
        fs::create_directories(records / "9449304130");
        std::ofstream(records / "9449304130" / "record.json")
            << R"({"patient": {"nhsNumber": "9449304130"}, "compositions": [{"title": "Visit",
                  "effectiveTime": "2024-01-05", "author": "DR A JONES", "entries": [
                  {"kind": "narrative", "text": "Seen over mutual TLS."}]}], "attachments": []})";
        Agent oldPractice(spine.dir.path() / "a", spine.mock.baseUrl(),
                          agentTlsConfig("practice-a") +
                              "gp2gp.recordSource = " + records.string() + "\n",
                          kPracticeA);
        Agent newPractice(spine.dir.path() / "b", spine.mock.baseUrl(),
                          agentTlsConfig("practice-b"), kPracticeB);
        oldPractice.start();
        newPractice.start();
        REQUIRE(oldPractice.inboundUrl().rfind("https://", 0) == 0);
        spine.mock.registerPractice(kPracticeA.odsCode, kPracticeA.partyKey, kPracticeA.asid,
                                    oldPractice.inboundUrl());
        spine.mock.registerPractice(kPracticeB.odsCode, kPracticeB.partyKey, kPracticeB.asid,
                                    newPractice.inboundUrl());

        auto reply = newPractice.api().post(
            "/v1/gp2gp/requests", R"({"nhsNumber": "9449304130", "fromOdsCode": "A83008"})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        const auto id = parseJsonObject(reply.body)->getValue<std::string>("conversationId");
        const auto stateOf = [&](const Agent& agent) {
            auto view = agent.api().get("/v1/gp2gp/transfers/" + id);
            return view.status == 200 ? parseJsonObject(view.body)->getValue<std::string>("state")
                                      : std::string();
        };
        CHECK(
            waitUntil([&] { return stateOf(newPractice) == "closed"; }, std::chrono::seconds(60)));
        CHECK(
            waitUntil([&] { return stateOf(oldPractice) == "closed"; }, std::chrono::seconds(60)));
    }

    TEST_CASE("TLS: spine-mock refuses a missing, expired, wrong-CA or wrong-host client "
              "certificate, and the agent retries without an acknowledgement") {
        TlsSpine spine;
        struct Case {
            std::string name;
            std::string config;
        };
        // Without a client certificate the agent starts only as a declared test set-up.
        const std::string noCertificate = agentTlsConfig("practice-a") +
                                          "tls.certFile = \ntls.keyFile = \n"
                                          "test.allowPlainHttp = true\n";
        const std::vector<Case> cases = {
            {"missing", noCertificate},
            {"expired", agentTlsConfig("expired", "practice-a")},
            {"wrong-ca", agentTlsConfig("wrong-ca", "practice-a")},
            {"wrong-host", agentTlsConfig("wrong-host", "practice-a")}};
        std::vector<std::unique_ptr<Agent>> agents;
        std::vector<std::string> ids;
        for (const auto& each : cases) {
            agents.push_back(std::make_unique<Agent>(
                spine.dir.path() / each.name, spine.mock.baseUrl(), each.config, kPracticeA));
            agents.back()->start();
            ids.push_back(submitted(*agents.back()));
        }
        for (std::size_t i = 0; i < cases.size(); ++i) {
            CAPTURE(cases[i].name);
            refusedInTransport(*agents[i], ids[i]);
            CHECK_FALSE(journalMentions(spine.mock, ids[i]));
        }
        const auto log = readFile(spine.mock.stateDir() / "spine-mock.log");
        CHECK(log.find("certificate has expired") != std::string::npos);
        CHECK(log.find("hostname mismatch") != std::string::npos);
    }

    TEST_CASE("TLS: the agent's inbound endpoint refuses a missing, expired, wrong-CA or "
              "wrong-host client certificate") {
        TlsSpine spine;
        Agent agent(spine.dir.path() / "agent", spine.mock.baseUrl(), agentTlsConfig("practice-a"),
                    kPracticeA);
        agent.start();
        // The Spine's certificate is accepted: the refusals below are about the certificates.
        CHECK(answered(agent.inboundPort(), "spine"));
        for (const std::string identity : {"", "expired", "wrong-ca", "wrong-host", "practice-b"}) {
            CAPTURE(identity);
            CHECK_FALSE(answered(agent.inboundPort(), identity));
        }
        // Nothing refused reached the inbox.
        CHECK(fs::is_empty(agent.stateDir() / "inbox"));
        const auto log = readFile(agent.logFile());
        CHECK(log.find("refused a client certificate (CN=practice-a.test): certificate has "
                       "expired") != std::string::npos);
        CHECK(log.find("refused a client certificate (CN=practice-b.test): hostname mismatch") !=
              std::string::npos);
    }

    TEST_CASE("TLS: the agent refuses spine-mock's expired, wrong-CA or wrong-host server "
              "certificate") {
        for (const std::string certName : {"expired", "wrong-ca", "wrong-host"}) {
            CAPTURE(certName);
            TlsSpine spine(certName);
            Agent agent(spine.dir.path() / "agent", spine.mock.baseUrl(),
                        agentTlsConfig("practice-a"), kPracticeA);
            agent.start();
            refusedInTransport(agent, submitted(agent));
        }
    }

    TEST_CASE("TLS: without test.allowPlainHttp gp-agent and spine-mock refuse plain HTTP") {
        TempDir dir("gp-tls-plain");
        const fs::path config = dir.path() / "agent.properties";
        gp::agent::writeFileAtomically(
            config, "agent.stateDir = " + (dir.path() / "state").string() +
                        "\nagent.odsCode = A83008\nagent.partyKey = A83008-9199121\n"
                        "agent.asid = 200000001234\napi.port = 0\ninbound.port = 0\n"
                        "spine.url = http://127.0.0.1:9\n");
        ChildProcess agent(GP_AGENT_BIN, {"--config", config.string()}, dir.path() / "agent.log");
        CHECK(agent.waitForExit(std::chrono::seconds(20)) != 0);
        const auto agentLog = readFile(dir.path() / "agent.log");
        CHECK_MESSAGE(agentLog.find("test.allowPlainHttp") != std::string::npos, agentLog);
        CHECK_MESSAGE(agentLog.find("spine.url") != std::string::npos, agentLog);

        const fs::path mockConfig = dir.path() / "mock.properties";
        gp::agent::writeFileAtomically(
            mockConfig, "mock.port = 0\nmock.stateDir = " + dir.path().string() + "\n");
        ChildProcess mock(SPINE_MOCK_BIN, {"--config", mockConfig.string()},
                          dir.path() / "mock.log");
        CHECK(mock.waitForExit(std::chrono::seconds(20)) != 0);
        CHECK(readFile(dir.path() / "mock.log").find("mock.allowPlainHttp") != std::string::npos);

        // With the flag (as every plain test runs), each plain connection is a start-up WARNING.
        SpineMock plainMock(dir.path() / "plain-mock");
        plainMock.start();
        Agent plainAgent(dir.path() / "plain-agent", plainMock.baseUrl());
        plainAgent.start();
        const auto warned = readFile(plainAgent.logFile());
        CHECK(warned.find("PLAIN HTTP, TEST SET-UP ONLY (test.allowPlainHttp = true): spine.url") !=
              std::string::npos);
        CHECK(warned.find("inbound.certFile") != std::string::npos);
        CHECK(readFile(plainMock.stateDir() / "spine-mock.log").find("PLAIN HTTP") !=
              std::string::npos);
    }

    TEST_CASE("TLS: the local API can serve HTTPS with a server certificate") {
        TempDir dir("gp-tls-api");
        SpineMock mock(dir.path() / "mock");
        mock.start();
        const std::string pki = testPki().string();
        Agent agent(dir.path() / "agent", mock.baseUrl(),
                    "api.certFile = " + pki + "/practice-a.pem\napi.keyFile = " + pki +
                        "/practice-a.key\n");
        agent.start();
        // No client certificate is asked for: the bearer token authenticates API callers.
        gp::agent::ApiClient secure("localhost", agent.apiPort(), "", tlsClientContext(""));
        CHECK(secure.get("/healthz").status == 200);
        CHECK(secure.get("/v1/status").status == 401);
        gp::agent::ApiClient plain("127.0.0.1", agent.apiPort(), "");
        CHECK_THROWS(plain.get("/healthz"));
        // gp-agentctl on the same server reads api.certFile and talks HTTPS to the API.
        const auto status = runAgentCtl(agent.configFile(), {"status"});
        CHECK_MESSAGE(status.exitCode == 0, status.output);
    }
}
