// The local API's locks (docs/security.md, docs/local-api.md): named tokens with scopes managed by
// gp-agentctl, 401/403/413/414/431, the state directory and token files others could read, and
// audit rows that name the token, the command's user and the patient.

#include "ProcessHarness.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/ctl/ApiClient.hpp>

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const std::string kNhsNumber = "9434765919";

std::string prescriptionFor(const std::string& nhsNumber) {
    std::string json = prescriptionJson();
    const std::string from = "9449304130";
    json.replace(json.find(from), from.size(), nhsNumber);
    return json;
}

struct Running {
    TempDir dir{"gp-security"};
    SpineMock mock{dir.path() / "mock"};
    std::unique_ptr<Agent> agent;

    explicit Running(const std::string& config = "") {
        mock.start();
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl(), config);
        agent->start();
    }

    gp::agent::ApiClient as(const std::string& token) const {
        return gp::agent::ApiClient("127.0.0.1", agent->apiPort(), token);
    }

    /// `gp-agentctl token add NAME --scope SCOPE`: the token it printed.
    std::string addToken(const std::string& name, const std::string& scope) const {
        auto added =
            runAgentCtl(agent->configFile(), {"--json", "token", "add", name, "--scope", scope});
        REQUIRE_MESSAGE(added.exitCode == 0, added.output);
        auto reply = parseJsonObject(added.output);
        CHECK(reply->getValue<std::string>("name") == name);
        CHECK(reply->getValue<std::string>("scope") == scope);
        return reply->getValue<std::string>("token");
    }

    std::vector<Poco::JSON::Object::Ptr> auditRows() const {
        auto reply = agent->api().get("/v1/audit?limit=1000");
        REQUIRE(reply.status == 200);
        std::vector<Poco::JSON::Object::Ptr> rows;
        auto list = parseJsonObject(reply.body)->getArray("rows");
        for (unsigned i = 0; i < list->size(); ++i) {
            rows.push_back(list->getObject(i));
        }
        return rows;
    }
};

std::string readText(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Starts gp-agent on `stateDir` expecting it to refuse; returns its log.
std::string refusedStart(const fs::path& root, const fs::path& stateDir) {
    const auto config = root / "refused.properties";
    std::ofstream(config) << "agent.stateDir = " << stateDir.string() << "\n"
                          << "agent.odsCode = A83008\nagent.partyKey = A83008-9199121\n"
                          << "agent.asid = 200000001234\napi.port = 0\ninbound.port = 0\n"
                          << "inbound.bind = 127.0.0.1\ntest.allowPlainHttp = true\n";
    ChildProcess agent(GP_AGENT_BIN, {"--config", config.string()}, root / "refused.log");
    CHECK(agent.waitForExit(std::chrono::seconds(20)) > 0);
    return readText(root / "refused.log");
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("API: no token or an unknown one is 401; /healthz needs none") {
        Running r;
        CHECK(r.as("").get("/healthz").status == 200);
        const auto missing = r.as("").get("/v1/status");
        CHECK(missing.status == 401);
        CHECK(missing.body.find("bearer token") != std::string::npos);
        CHECK(r.as("not-a-token").get("/v1/status").status == 401);
        CHECK(r.as("").post("/v1/eps/prescriptions", prescriptionJson()).status == 401);
        CHECK(r.agent->api().get("/v1/status").status == 200); // the local-admin token
    }

    TEST_CASE("API: named tokens from gp-agentctl work at once, by scope, until revoked") {
        Running r;
        const std::string reader = r.addToken("reception-1", "read");
        const std::string lead = r.addToken("it-lead", "operate");
        const std::string clinical = r.addToken("clinical-1", "full");

        // The tokens file holds hashes, never the tokens, and stays owner-only.
        const auto file = r.agent->stateDir() / "api-tokens";
        const std::string stored = readText(file);
        CHECK(stored.find(reader) == std::string::npos);
        CHECK(stored.find("reception-1 read ") != std::string::npos);
        CHECK((fs::status(file).permissions() & fs::perms::mask) ==
              (fs::perms::owner_read | fs::perms::owner_write));

        const auto readerStatus = r.as(reader).get("/v1/status");
        REQUIRE(readerStatus.status == 200);
        // The status names the caller and its scope, so a tray can grey out what it may not do.
        const auto caller = parseJsonObject(readerStatus.body)->getObject("caller");
        REQUIRE(caller);
        CHECK(caller->getValue<std::string>("name") == "reception-1");
        CHECK(caller->getValue<std::string>("scope") == "read");
        const auto forbidden = r.as(reader).post("/v1/eps/prescriptions", prescriptionJson());
        CHECK(forbidden.status == 403);
        CHECK(forbidden.body.find("scope full") != std::string::npos);
        CHECK(forbidden.body.find("reception-1 has scope read") != std::string::npos);
        // A staff action needs operate: refused to the reader, let through for the lead.
        const auto staff = r.as(reader).post("/v1/dispatch/pause", "{}");
        CHECK(staff.status == 403);
        CHECK(staff.body.find("scope operate") != std::string::npos);
        CHECK(r.as(lead).post("/v1/dispatch/pause", "{}").status != 403);
        CHECK(r.as(lead).post("/v1/eps/prescriptions", prescriptionJson()).status == 403);
        CHECK(r.as(clinical).post("/v1/eps/prescriptions", prescriptionJson()).status == 202);

        const auto listed = runAgentCtl(r.agent->configFile(), {"token", "list"});
        REQUIRE(listed.exitCode == 0);
        CHECK(listed.output.find("local-admin  full") != std::string::npos);
        CHECK(listed.output.find("reception-1  read  ") != std::string::npos);
        CHECK(listed.output.find("it-lead  operate  ") != std::string::npos);
        CHECK(listed.output.find(reader) == std::string::npos);

        CHECK(runAgentCtl(r.agent->configFile(), {"token", "add", "reception-1"}).exitCode == 1);
        const auto revoked = runAgentCtl(r.agent->configFile(), {"token", "revoke", "reception-1"});
        CHECK_MESSAGE(revoked.exitCode == 0, revoked.output);
        CHECK(r.as(reader).get("/v1/status").status == 401);
        CHECK(r.as(lead).get("/v1/status").status == 200);
        CHECK(runAgentCtl(r.agent->configFile(), {"token", "revoke", "nobody"}).exitCode == 1);

        // Who may act is itself in the audit trail.
        std::vector<std::string> changes;
        for (const auto& row : r.auditRows()) {
            if (row->getValue<std::string>("actor") == "tokens-file") {
                changes.push_back(row->getValue<std::string>("event") + ": " +
                                  row->getValue<std::string>("detail"));
            }
        }
        CHECK(std::find(changes.begin(), changes.end(),
                        "api-tokens-changed: added reception-1 (read); added it-lead (operate); "
                        "added clinical-1 (full)") != changes.end());
        CHECK(std::find(changes.begin(), changes.end(),
                        "api-tokens-changed: revoked reception-1") != changes.end());
    }

    TEST_CASE("API: audit rows name the token, the command's user and the patient") {
        Running r;
        const std::string clinical = r.addToken("clinical-1", "full");
        auto client = r.as(clinical);
        client.setOperator("alice");
        const auto reply = client.post("/v1/eps/prescriptions", prescriptionFor(kNhsNumber));
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        const auto messageId = parseJsonObject(reply.body)->getValue<std::string>("messageId");

        const auto file = r.dir.path() / "prescription.json";
        std::ofstream(file) << prescriptionFor("9000000009");
        const auto submitted =
            runAgentCtl(r.agent->configFile(), {"--json", "submit", "eps", file.string()});
        REQUIRE_MESSAGE(submitted.exitCode == 0, submitted.output);
        const auto ctlMessageId =
            parseJsonObject(submitted.output)->getValue<std::string>("messageId");

        bool sawApi = false;
        bool sawCtl = false;
        for (const auto& row : r.auditRows()) {
            if (row->getValue<std::string>("event") != "accepted") {
                continue;
            }
            const auto id = row->getValue<std::string>("messageId");
            const auto actor = row->getValue<std::string>("actor");
            const auto nhs = row->getValue<std::string>("nhsNumber");
            // ISO 8601 UTC, to the millisecond.
            CHECK(row->getValue<std::string>("at").size() == 24);
            CHECK(row->getValue<std::string>("at").back() == 'Z');
            if (id == messageId) {
                sawApi = true;
                CHECK(actor == "api:clinical-1 (cli:alice)");
                CHECK(nhs == kNhsNumber);
            } else if (id == ctlMessageId) {
                sawCtl = true;
                CHECK(actor.rfind("api:local-admin (cli:", 0) == 0);
                CHECK(nhs == "9000000009");
            }
        }
        CHECK(sawApi);
        CHECK(sawCtl);
        // An operator name that is not a plain user name is dropped, not written into the audit.
        auto odd = r.as(clinical);
        odd.setOperator("bob) (cli:root");
        const auto oddReply = odd.post("/v1/eps/prescriptions", prescriptionJson());
        REQUIRE(oddReply.status == 202);
        const auto oddId = parseJsonObject(oddReply.body)->getValue<std::string>("messageId");
        for (const auto& row : r.auditRows()) {
            if (row->getValue<std::string>("messageId") == oddId &&
                row->getValue<std::string>("event") == "accepted") {
                CHECK(row->getValue<std::string>("actor") == "api:clinical-1");
            }
        }
    }

    TEST_CASE("API: oversized bodies, targets and headers are refused with a reason") {
        Running r("api.maxBodyBytes = 2048\n");
        auto api = r.agent->api();
        const auto big = api.post("/v1/eps/prescriptions", std::string(4096, ' '));
        CHECK(big.status == 413);
        CHECK(big.body.find("larger than 2048 bytes") != std::string::npos);
        // Every route, even one that reads no body, and before the token is looked at.
        CHECK(api.send("GET", "/v1/status", std::string(4096, 'x'), "text/plain").status == 413);
        CHECK(r.as("")
                  .send("POST", "/v1/gp2gp/requests", std::string(4096, 'x'), "application/json")
                  .status == 413);
        CHECK(api.get("/v1/audit?after=0&x=" + std::string(3000, 'a')).status == 414);
        CHECK(api.get("/v1/status").status == 200);
    }

    TEST_CASE("gp-agent refuses a state directory or token file others may read, naming the fix") {
        TempDir dir("gp-perms");
        const auto state = dir.path() / "state";
        fs::create_directories(state);
        fs::permissions(state, fs::perms::owner_all | fs::perms::group_read |
                                   fs::perms::group_exec | fs::perms::others_read |
                                   fs::perms::others_exec);
        auto log = refusedStart(dir.path(), state);
        CHECK(log.find("agent.stateDir " + state.string()) != std::string::npos);
        CHECK(log.find("chmod o-rwx " + state.string()) != std::string::npos);
        CHECK_FALSE(fs::exists(state / "gp-agent.db"));

        fs::permissions(state, fs::perms::others_all, fs::perm_options::remove);
        gp::agent::writeFileAtomically(state / "api-token", "secret\n", 0640);
        log = refusedStart(dir.path(), state);
        CHECK(log.find("api.tokenFile " + (state / "api-token").string()) != std::string::npos);
        CHECK(log.find("chmod 600") != std::string::npos);

        fs::permissions(state / "api-token", fs::perms::group_read, fs::perm_options::remove);
        gp::agent::writeFileAtomically(state / "api-tokens", "", 0604);
        log = refusedStart(dir.path(), state);
        CHECK(log.find("api.tokensFile " + (state / "api-tokens").string()) != std::string::npos);
        CHECK_FALSE(fs::exists(state / "gp-agent.db"));
    }

    TEST_CASE("a first start creates the state directory and token files private") {
        Running r;
        const auto state = r.agent->stateDir();
        const auto privateFile = fs::perms::owner_read | fs::perms::owner_write;
        CHECK((fs::status(state).permissions() & fs::perms::others_all) == fs::perms::none);
        CHECK((fs::status(state / "api-token").permissions() & fs::perms::mask) == privateFile);
        CHECK((fs::status(state / "api-tokens").permissions() & fs::perms::mask) == privateFile);
    }

    TEST_CASE("gp-agentctl audit export writes the trail with its head; verify-export checks it") {
        Running r;
        const auto reply =
            r.agent->api().post("/v1/eps/prescriptions", prescriptionFor(kNhsNumber));
        REQUIRE(reply.status == 202);
        const auto messageId = parseJsonObject(reply.body)->getValue<std::string>("messageId");
        REQUIRE(r.agent->waitForState(messageId, "acked"));

        const auto file = r.dir.path() / "audit-export.jsonl";
        const auto exported =
            runAgentCtl(r.agent->configFile(), {"audit", "export", file.string()});
        REQUIRE_MESSAGE(exported.exitCode == 0, exported.output);
        CHECK(exported.output.find("chain head: row ") != std::string::npos);
        const std::string text = readText(file);
        CHECK(text.find("\"nhsNumber\":\"" + kNhsNumber + "\"") != std::string::npos);
        CHECK(text.find("\"chainHead\"") != std::string::npos);
        CHECK((fs::status(file).permissions() & fs::perms::mask) ==
              (fs::perms::owner_read | fs::perms::owner_write));

        // Checked with nothing but the file, as on the machine it is kept on: no configuration.
        const auto verified = runAgentCtl(r.dir.path() / "no-such.properties",
                                          {"audit", "verify-export", file.string()});
        CHECK_MESSAGE(verified.exitCode == 0, verified.output);
        CHECK(verified.output.find("audit export intact") != std::string::npos);

        std::string altered = text;
        altered.replace(altered.find(kNhsNumber), kNhsNumber.size(), "9000000009");
        std::ofstream(file, std::ios::trunc) << altered;
        const auto broken =
            runAgentCtl(r.agent->configFile(), {"audit", "verify-export", file.string()});
        CHECK(broken.exitCode == 1);
        CHECK(broken.output.find("BROKEN") != std::string::npos);
    }

} // TEST_SUITE
