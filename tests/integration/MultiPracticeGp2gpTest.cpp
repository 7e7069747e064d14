// GP2GP for several practices in one agent: a hosted gp-agent acting for practices P1 and P2
// (one inbound URL, two party keys), a single-practice gp-agent P3, and spine-mock between
// them. Each hosted practice answers and asks as itself, from and into its own folders.

#include "Gp2gpRecords.hpp"
#include "ProcessHarness.hpp"

#include <gp/agent/ctl/ApiClient.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <doctest/doctest.h>

#include <fstream>
#include <map>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const TestPractice kP1{"A83008", "A83008-9199121", "200000001234"}; // hosted, the default
const TestPractice kP2{"P83012", "P83012-9199355", "200000003456"}; // hosted, practicesFile
const TestPractice kP3{"B86041", "B86041-9199122", "200000005678"}; // an agent of its own
const std::string kNhsNumber = "9449304130";

struct ThreePractices {
    TempDir dir{"gp-multi-gp2gp"};
    fs::path hostedRecords = dir.path() / "hosted-records";
    fs::path hostedImport = dir.path() / "hosted-import";
    fs::path p3Records = dir.path() / "p3-records";
    fs::path p3Import = dir.path() / "p3-import";
    SpineMock mock{dir.path() / "mock",
                   "mock.gp2gp.retryInterval = PT0.2S\nmock.forwardRetryDelay = PT0.1S\n"
                   "mock.forwardMaxDelay = PT0.5S\n"};
    std::unique_ptr<Agent> hosted;
    std::unique_ptr<Agent> p3;

    ThreePractices() {
        fs::create_directories(hostedRecords);
        fs::create_directories(p3Records);
        const fs::path practicesFile = dir.path() / "practices";
        std::ofstream(practicesFile)
            << "# the hosted agent's second practice\n"
            << kP2.odsCode << " " << kP2.partyKey << " " << kP2.asid << "\n";
        mock.start();
        hosted = std::make_unique<Agent>(dir.path() / "hosted", mock.baseUrl(),
                                         "agent.practicesFile = " + practicesFile.string() +
                                             "\ngp2gp.recordSource = " + hostedRecords.string() +
                                             "\ngp2gp.importDir = " + hostedImport.string() + "\n",
                                         kP1);
        p3 = std::make_unique<Agent>(dir.path() / "p3", mock.baseUrl(),
                                     "gp2gp.recordSource = " + p3Records.string() +
                                         "\ngp2gp.importDir = " + p3Import.string() + "\n",
                                     kP3);
        hosted->start();
        p3->start();
        // Both hosted party keys lead to the one inbound URL of the hosted agent.
        for (const TestPractice* practice : {&kP1, &kP2}) {
            mock.registerPractice(practice->odsCode, practice->partyKey, practice->asid,
                                  hosted->inboundUrl());
        }
        mock.registerPractice(kP3.odsCode, kP3.partyKey, kP3.asid, p3->inboundUrl());
    }

    static std::string request(const Agent& from, const std::string& fromOds) {
        auto reply =
            from.api().post("/v1/gp2gp/requests", R"({"nhsNumber": ")" + kNhsNumber +
                                                      R"(", "fromOdsCode": ")" + fromOds + R"("})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        return parseJsonObject(reply.body)->getValue<std::string>("conversationId");
    }

    static std::string stateOf(const Agent& agent, const std::string& id) {
        auto reply = agent.api().get("/v1/gp2gp/transfers/" + id);
        return reply.status == 200 ? parseJsonObject(reply.body)->getValue<std::string>("state")
                                   : "";
    }

    static bool waitForState(const Agent& agent, const std::string& id, const std::string& state) {
        return waitUntil([&] { return stateOf(agent, id) == state; }, std::chrono::seconds(90));
    }

    /// ODS code of the sending practice of every message the hub forwarded in `conversationId`
    /// to `recipient`, by interaction.
    std::multimap<std::string, std::string> sendersTo(const std::string& recipient,
                                                      const std::string& conversationId) {
        auto reply = gp::agent::ApiClient("127.0.0.1", mock.port(), "").get("/_admin/forwards");
        REQUIRE(reply.status == 200);
        Poco::JSON::Parser parser;
        auto array = parser.parse(reply.body).extract<Poco::JSON::Array::Ptr>();
        std::multimap<std::string, std::string> senders;
        for (unsigned i = 0; i < array->size(); ++i) {
            auto forward = array->getObject(i);
            if (forward->getValue<std::string>("recipient") == recipient &&
                forward->getValue<std::string>("conversationId") == conversationId) {
                senders.emplace(forward->getValue<std::string>("interaction"),
                                forward->getValue<std::string>("sender"));
            }
        }
        return senders;
    }
};

void checkAllFrom(const std::multimap<std::string, std::string>& senders,
                  const std::string& odsCode) {
    REQUIRE_FALSE(senders.empty());
    for (const auto& [interaction, sender] : senders) {
        CAPTURE(interaction);
        CHECK(sender == odsCode);
    }
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("GP2GP: one agent serves two practices, each under its own identity and folders") {
        ThreePractices t;
        // The same patient in each hosted practice's own folder, with a document telling them
        // apart, and at P3 for the transfer the other way.
        const std::vector<SourceDocument> p1Documents = {
            {"p1-letter.txt", "text/plain", "Held by practice P1.\n"}};
        const std::vector<SourceDocument> p2Documents = {
            {"p2-scan.png", "image/png", randomBytes(20'000, 21)}};
        const std::vector<SourceDocument> p3Documents = {
            {"p3-note.txt", "text/plain", "Held by practice P3.\n"}};
        writePatientRecord(t.hostedRecords / kP1.odsCode, kNhsNumber, p1Documents);
        writePatientRecord(t.hostedRecords / kP2.odsCode, kNhsNumber, p2Documents);
        writePatientRecord(t.p3Records, kNhsNumber, p3Documents);

        const std::string fromP1 = ThreePractices::request(*t.p3, kP1.odsCode);
        const std::string fromP2 = ThreePractices::request(*t.p3, kP2.odsCode);
        // No practice named: the hosted agent's default practice, P1, asks.
        const std::string byP1 = ThreePractices::request(*t.hosted, kP3.odsCode);

        for (const auto& id : {fromP1, fromP2}) {
            CAPTURE(id);
            REQUIRE(ThreePractices::waitForState(*t.p3, id, "closed"));
            CHECK(ThreePractices::waitForState(*t.hosted, id, "closed"));
        }
        REQUIRE(ThreePractices::waitForState(*t.hosted, byP1, "closed"));
        CHECK(ThreePractices::waitForState(*t.p3, byP1, "closed"));

        // Each hosted practice answered from its own record folder.
        CHECK(readWholeFile(t.p3Import / fromP1 / "p1-letter.txt") == p1Documents[0].bytes);
        CHECK_FALSE(fs::exists(t.p3Import / fromP1 / "p2-scan.png"));
        CHECK(readWholeFile(t.p3Import / fromP2 / "p2-scan.png") == p2Documents[0].bytes);
        CHECK_FALSE(fs::exists(t.p3Import / fromP2 / "p1-letter.txt"));
        // P1's record arrived in P1's own import folder.
        CHECK(readWholeFile(t.hostedImport / kP1.odsCode / byP1 / "p3-note.txt") ==
              p3Documents[0].bytes);

        // On the wire (the hub names a sender by the From party key): every message to P3 of a
        // transfer came from the practice asked, and P3 answered to the practice that asked.
        checkAllFrom(t.sendersTo(kP3.odsCode, fromP1), kP1.odsCode);
        checkAllFrom(t.sendersTo(kP3.odsCode, fromP2), kP2.odsCode);
        checkAllFrom(t.sendersTo(kP3.odsCode, byP1), kP1.odsCode);
        CHECK(t.sendersTo(kP1.odsCode, byP1).count("RCMR_IN030000UK06") == 1);   // the extract
        CHECK(t.sendersTo(kP2.odsCode, fromP2).count("RCMR_IN010000UK05") == 1); // the request
        CHECK(t.sendersTo(kP2.odsCode, fromP1).empty());
    }
}
