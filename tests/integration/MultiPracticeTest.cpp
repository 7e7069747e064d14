// One gp-agent acting for several practices (docs/multi-practice.md), end to end: the practice a
// request names by path or header decides the party key its prescription goes to Spine under,
// tokens scoped to practices are held to them, and an unknown practice is answered 404.

#include "ProcessHarness.hpp"
#include "SeededRandom.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/ctl/ApiClient.hpp>
#include <gp/agent/eps/PrescriptionRequest.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>

using namespace gp::test;

namespace {

// The agent's default practice is the harness's (A83008); these two come from its practices
// file. The mock knows only their party keys, so a message sent under the default's is refused:
// each message Spine processes went out under one of theirs.
const std::string kPracticeB = "B81001";
const std::string kPartyKeyB = "B81001-822345";
const std::string kPracticeC = "C82001";
const std::string kPartyKeyC = "C82001-733456";

struct Hosted {
    TempDir dir{"gp-practices"};
    SpineMock mock{dir.path() / "mock",
                   "mock.knownSenders = " + kPartyKeyB + "," + kPartyKeyC + "\n"};
    std::unique_ptr<Agent> agent;

    explicit Hosted(const std::string& extraConfig = "") {
        const auto practices = dir.path() / "practices";
        gp::agent::writeFileAtomically(practices, "# hosted practices\n" + kPracticeB + " " +
                                                      kPartyKeyB + " 200000000002\n" + kPracticeC +
                                                      " " + kPartyKeyC + " 200000000003\n");
        mock.start();
        agent = std::make_unique<Agent>(dir.path() / "agent", mock.baseUrl(),
                                        "agent.practicesFile = " + practices.string() + "\n" +
                                            extraConfig);
        agent->start();
    }

    gp::agent::ApiClient as(const std::string& token) const {
        return gp::agent::ApiClient("127.0.0.1", agent->apiPort(), token);
    }

    /// `gp-agentctl token add NAME --scope full --practices PRACTICES`: the token it printed.
    std::string addToken(const std::string& name, const std::string& practices) const {
        auto added = runAgentCtl(agent->configFile(), {"--json", "token", "add", name, "--scope",
                                                       "full", "--practices", practices});
        REQUIRE_MESSAGE(added.exitCode == 0, added.output);
        const auto reply = parseJsonObject(added.output);
        CHECK(reply->getValue<std::string>("practices") == practices);
        return reply->getValue<std::string>("token");
    }

    std::string adminToken() const {
        std::string token = gp::agent::readWholeFile(agent->stateDir() / "api-token");
        token.erase(token.find_last_not_of(" \n") + 1);
        return token;
    }

    /// A request with X-Practice-ODS, which ApiClient does not send.
    gp::agent::ApiReply withPracticeHeader(const std::string& method, const std::string& path,
                                           const std::string& practice, const std::string& body,
                                           const std::string& token) const {
        Poco::Net::HTTPClientSession session("127.0.0.1",
                                             static_cast<Poco::UInt16>(agent->apiPort()));
        Poco::Net::HTTPRequest request(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
        request.set("Authorization", "Bearer " + token);
        request.set("X-Practice-ODS", practice);
        request.setContentType("application/json");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
        session.sendRequest(request) << body;
        Poco::Net::HTTPResponse response;
        std::istream& in = session.receiveResponse(response);
        gp::agent::ApiReply reply;
        reply.status = response.getStatus();
        Poco::StreamCopier::copyToString(in, reply.body);
        return reply;
    }

    std::set<std::string> listedMessages(const gp::agent::ApiReply& reply) const {
        REQUIRE_MESSAGE(reply.status == 200, reply.body);
        std::set<std::string> ids;
        const auto list = parseJsonObject(reply.body)->getArray("messages");
        for (unsigned i = 0; i < list->size(); ++i) {
            ids.insert(list->getObject(i)->getValue<std::string>("messageId"));
        }
        return ids;
    }
};

/// What a system built for the NHS MHS adaptor POSTs to the MHS front: a ParentPrescription.
std::string mhsPrescriptionBody(const std::string& messageId, unsigned seed) {
    namespace ids = gp::messaging::ids;
    SeededRandom random(seed);
    auto request = gp::agent::readPrescriptionRequest(prescriptionJson());
    REQUIRE(request.errors.empty());
    auto& prescription = request.prescription;
    prescription.organisation.odsCode = "A83008";
    prescription.prescriptionId = ids::newPrescriptionId("A83008", random);
    prescription.prescriptionUuid = ids::newUuid(random);
    for (auto& item : prescription.items) {
        item.itemId = ids::newUuid(random);
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    prescription.authoredOn = now;
    Poco::JSON::Object body;
    body.set("payload", gp::messaging::eps::buildParentPrescription(
                            prescription, {messageId, now, "200000000002", "990000000000"}));
    std::ostringstream out;
    body.stringify(out);
    return out.str();
}

std::string messageIdOf(const gp::agent::ApiReply& reply) {
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    return parseJsonObject(reply.body)->getValue<std::string>("messageId");
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("practices: each prescription goes to Spine as the practice its request names") {
        Hosted h;
        const auto admin = h.as(h.adminToken());
        const std::string viaPath = messageIdOf(
            admin.post("/practices/" + kPracticeB + "/v1/eps/prescriptions", prescriptionJson()));
        const std::string viaHeader = messageIdOf(h.withPracticeHeader(
            "POST", "/v1/eps/prescriptions", "c82001", prescriptionJson(), h.adminToken()));
        // Naming none is the default practice, whose party key this mock does not know.
        const std::string byDefault =
            messageIdOf(admin.post("/v1/eps/prescriptions", prescriptionJson()));

        REQUIRE(h.agent->waitForState(viaPath, "acked"));
        REQUIRE(h.agent->waitForState(viaHeader, "acked"));
        REQUIRE(h.agent->waitForState(byDefault, "failed"));
        CHECK(h.mock.journalCount(viaPath, "processed") == 1);
        CHECK(h.mock.journalCount(viaHeader, "processed") == 1);
        CHECK(h.mock.journalCount(byDefault, "processed") == 0);
        CHECK(h.mock.journalCount(byDefault, "rejected") == 1);
        CHECK(h.agent->message(byDefault)
                  ->getObject("lastError")
                  ->getValue<std::string>("text")
                  .find("Unknown eb:From/eb:PartyId") != std::string::npos);

        // The message remembers its practice, and the audit names it.
        CHECK(h.agent->message(viaPath)->getValue<std::string>("practice") == kPracticeB);
        CHECK(h.agent->message(viaHeader)->getValue<std::string>("practice") == kPracticeC);
        const auto audit =
            parseJsonObject(admin.get("/v1/audit?limit=1000").body)->getArray("rows");
        bool named = false;
        for (unsigned i = 0; i < audit->size(); ++i) {
            const auto row = audit->getObject(i);
            named = named || (row->getValue<std::string>("messageId") == viaHeader &&
                              row->getValue<std::string>("detail").find("practice C82001") !=
                                  std::string::npos);
        }
        CHECK(named);
    }

    TEST_CASE("practices: unknown is 404, path and header disagreeing 400, scoped tokens held") {
        Hosted h;
        const auto admin = h.as(h.adminToken());
        const auto unknown = admin.get("/practices/Z99999/v1/messages");
        CHECK(unknown.status == 404);
        CHECK(unknown.body.find("does not act for practice Z99999") != std::string::npos);
        CHECK(h.withPracticeHeader("GET", "/v1/status", "Z99999", "", h.adminToken()).status ==
              404);
        const auto disagree = h.withPracticeHeader("GET", "/practices/" + kPracticeB + "/v1/status",
                                                   kPracticeC, "", h.adminToken());
        CHECK(disagree.status == 400);
        CHECK(disagree.body.find("X-Practice-ODS") != std::string::npos);

        const std::string ofB = messageIdOf(
            admin.post("/practices/" + kPracticeB + "/v1/eps/prescriptions", prescriptionJson()));
        const std::string ofC = messageIdOf(
            admin.post("/practices/" + kPracticeC + "/v1/eps/prescriptions", prescriptionJson()));

        const std::string tokenB = h.addToken("hosted-b", kPracticeB);
        const auto onlyB = h.as(tokenB);
        // Another practice, by path or header, is 403 naming it; nothing is stored.
        const auto refused =
            onlyB.post("/practices/" + kPracticeC + "/v1/eps/prescriptions", prescriptionJson());
        CHECK(refused.status == 403);
        CHECK(refused.body.find("may not act for practice " + kPracticeC) != std::string::npos);
        CHECK(h.withPracticeHeader("GET", "/v1/messages", kPracticeC, "", tokenB).status == 403);
        // Naming none acts for the default practice, which is not this token's.
        CHECK(onlyB.post("/v1/eps/prescriptions", prescriptionJson()).status == 403);
        // Its lists and counts show its practice's messages only, with or without naming it.
        const std::string ownB = messageIdOf(
            onlyB.post("/practices/" + kPracticeB + "/v1/eps/prescriptions", prescriptionJson()));
        for (const std::string& path :
             {std::string("/v1/messages"), "/practices/" + kPracticeB + "/v1/messages"}) {
            const auto seen = h.listedMessages(onlyB.get(path));
            CHECK(seen == std::set<std::string>{ofB, ownB});
        }
        CHECK(onlyB.get("/v1/messages/" + ofC).status == 403);
        CHECK(onlyB.get("/v1/messages/" + ofB).status == 200);
        const auto status = parseJsonObject(onlyB.get("/v1/status").body);
        std::int64_t counted = 0;
        const auto counts = status->getObject("counts");
        for (const auto& [state, count] : *counts) {
            counted += count.convert<std::int64_t>();
        }
        CHECK(counted == 2);

        // The administrator's token sees every practice; naming one narrows the list to it.
        CHECK(h.listedMessages(admin.get("/v1/messages")) == std::set<std::string>{ofB, ofC, ownB});
        CHECK(h.listedMessages(admin.get("/practices/" + kPracticeC + "/v1/messages")) ==
              std::set<std::string>{ofC});
    }

    TEST_CASE("practices: the MHS front sends as the practice X-Practice-ODS names") {
        Hosted h("mhs.enabled = true\nmhs.port = 0\n");
        std::ifstream in(h.agent->stateDir() / "ports.json");
        std::stringstream ports;
        ports << in.rdbuf();
        const int mhsPort = parseJsonObject(ports.str())->getValue<int>("mhs");
        const auto post = [mhsPort](const std::string& messageId, const std::string& practice,
                                    unsigned seed) {
            Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(mhsPort));
            Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_POST, "/",
                                           Poco::Net::HTTPMessage::HTTP_1_1);
            const std::string body = mhsPrescriptionBody(messageId, seed);
            request.setContentType("application/json");
            request.setContentLength(static_cast<std::streamsize>(body.size()));
            request.set("Interaction-Id", "PORX_IN020101SM31");
            request.set("wait-for-response", "false");
            request.set("Message-Id", messageId);
            if (!practice.empty()) {
                request.set("X-Practice-ODS", practice);
            }
            session.sendRequest(request) << body;
            Poco::Net::HTTPResponse response;
            std::istream& reply = session.receiveResponse(response);
            gp::agent::ApiReply out;
            out.status = response.getStatus();
            Poco::StreamCopier::copyToString(reply, out.body);
            return out;
        };
        const std::string ofB = "6C9A2F0E-4B1D-4E8A-9F3C-2D5E7A1B0C01";
        const std::string ofDefault = "6C9A2F0E-4B1D-4E8A-9F3C-2D5E7A1B0C02";
        const auto accepted = post(ofB, "b81001", 11);
        CHECK_MESSAGE(accepted.status == 202, accepted.body);
        const auto byDefault = post(ofDefault, "", 12);
        CHECK_MESSAGE(byDefault.status == 202, byDefault.body);
        const auto unknown = post("6C9A2F0E-4B1D-4E8A-9F3C-2D5E7A1B0C03", "Z99999", 13);
        CHECK(unknown.status == 400);
        CHECK(unknown.body.find("does not act for practice Z99999") != std::string::npos);

        REQUIRE(h.agent->waitForState(ofB, "acked"));
        REQUIRE(h.agent->waitForState(ofDefault, "failed")); // the mock knows B's, not A's
        CHECK(h.mock.journalCount(ofB, "processed") == 1);
        CHECK(h.agent->message(ofB)->getValue<std::string>("practice") == kPracticeB);
        CHECK(h.agent->api().get("/v1/messages/6C9A2F0E-4B1D-4E8A-9F3C-2D5E7A1B0C03").status ==
              404);
    }
}
