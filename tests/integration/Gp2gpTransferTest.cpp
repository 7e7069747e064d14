// GP2GP end to end: two real gp-agent processes (practice A holds the record, practice B asks
// for it) and a real spine-mock between them as the Spine's hub and directory.

#include "Gp2gpRecords.hpp"
#include "ProcessHarness.hpp"

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <fstream>
#include <set>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const TestPractice kOldPractice{"A83008", "A83008-9199121", "200000001234"};
const TestPractice kNewPractice{"B86041", "B86041-9199122", "200000005678"};
const std::string kNhsNumber = "9449304130";

/// Practice A (the old practice), practice B (the new one) and the hub, all started, with both
/// practices registered in the hub's directory.
struct Transfer {
    TempDir dir{"gp-gp2gp"};
    fs::path recordSource = dir.path() / "records";
    fs::path importDir = dir.path() / "import";
    SpineMock mock;
    std::unique_ptr<Agent> oldPractice;
    std::unique_ptr<Agent> newPractice;

    explicit Transfer(const std::string& oldConfig = "", const std::string& newConfig = "",
                      const std::string& mockConfig = "")
        : mock(dir.path() / "mock",
               // Retries at test speed; everything else as the hub publishes by default.
               "mock.gp2gp.retryInterval = PT0.2S\nmock.forwardRetryDelay = PT0.1S\n"
               "mock.forwardMaxDelay = PT0.5S\n" +
                   mockConfig) {
        fs::create_directories(recordSource);
        mock.start();
        oldPractice = std::make_unique<Agent>(
            dir.path() / "old", mock.baseUrl(),
            "gp2gp.recordSource = " + recordSource.string() + "\n" + oldConfig, kOldPractice);
        newPractice = std::make_unique<Agent>(
            dir.path() / "new", mock.baseUrl(),
            "gp2gp.importDir = " + importDir.string() + "\n" + newConfig, kNewPractice);
        oldPractice->start();
        newPractice->start();
        registerBoth();
    }

    void registerBoth() {
        mock.registerPractice(kOldPractice.odsCode, kOldPractice.partyKey, kOldPractice.asid,
                              oldPractice->inboundUrl());
        mock.registerPractice(kNewPractice.odsCode, kNewPractice.partyKey, kNewPractice.asid,
                              newPractice->inboundUrl());
    }

    std::string request(const std::string& nhsNumber = kNhsNumber) {
        auto reply = newPractice->api().post(
            "/v1/gp2gp/requests", R"({"nhsNumber": ")" + nhsNumber + R"(", "fromOdsCode": ")" +
                                      kOldPractice.odsCode + R"("})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        return parseJsonObject(reply.body)->getValue<std::string>("conversationId");
    }

    static Poco::JSON::Object::Ptr transfer(const Agent& agent, const std::string& id) {
        auto reply = agent.api().get("/v1/gp2gp/transfers/" + id);
        if (reply.status != 200) {
            return nullptr;
        }
        return parseJsonObject(reply.body);
    }

    static std::string stateOf(const Agent& agent, const std::string& id) {
        auto view = transfer(agent, id);
        return view ? view->getValue<std::string>("state") : "";
    }

    static std::string errorCodeOf(const Agent& agent, const std::string& id) {
        auto view = transfer(agent, id);
        return view && !view->isNull("errorCode") ? view->getValue<std::string>("errorCode") : "";
    }

    static bool waitForState(const Agent& agent, const std::string& id, const std::string& state,
                             std::chrono::milliseconds timeout = std::chrono::seconds(90)) {
        return waitUntil([&] { return stateOf(agent, id) == state; }, timeout);
    }

    fs::path imported(const std::string& id) const { return importDir / id; }

    /// Every outbound message of practice A the hub forwarded to B, by MessageId.
    std::map<std::string, int> forwardsToNewPractice() {
        std::map<std::string, int> forwarded;
        for (const auto& entry : mock.journal()) {
            if (entry->getValue<std::string>("outcome") == "forwarded" && entry->has("recipient") &&
                entry->getValue<std::string>("recipient") == kNewPractice.odsCode) {
                ++forwarded[entry->getValue<std::string>("messageId")];
            }
        }
        return forwarded;
    }
};

void checkImportedDocuments(const Transfer& t, const std::string& id,
                            const std::vector<SourceDocument>& documents) {
    for (const auto& document : documents) {
        const auto path = t.imported(id) / document.file;
        REQUIRE_MESSAGE(fs::exists(path), path.string());
        CHECK_MESSAGE(readWholeFile(path) == document.bytes, document.file);
    }
}

/// A transfer of a 12 MB document in 1 MB fragments, started and with documents already arriving
/// at the new practice: the moment the restart tests kill one of the three processes.
struct TransferUnderWay {
    Transfer t{"gp2gp.largeThreshold = 1048576\n"};
    std::vector<SourceDocument> documents;
    std::string id;

    explicit TransferUnderWay(std::uint64_t seed)
        : documents{{"scan.tiff", "image/tiff", randomBytes(12 * 1024 * 1024, seed)}} {
        writePatientRecord(t.recordSource, kNhsNumber, documents);
        id = t.request();
        REQUIRE(waitUntil(
            [&] {
                auto view = Transfer::transfer(*t.newPractice, id);
                return view && view->getValue<int>("partsReceived") > 0;
            },
            std::chrono::seconds(60)));
    }

    void finishesByteIdentical() {
        REQUIRE(Transfer::waitForState(*t.newPractice, id, "closed", std::chrono::minutes(3)));
        checkImportedDocuments(t, id, documents);
    }
};

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("GP2GP: a record without documents moves from the old practice to the new one") {
        Transfer t;
        writePatientRecord(t.recordSource, kNhsNumber, {}, 3);
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "closed"));
        REQUIRE(Transfer::waitForState(*t.oldPractice, id, "closed"));
        const auto extract = readWholeFile(t.imported(id) / "ehr-extract.xml");
        CHECK(extract.find("RCMR_IN030000UK06") != std::string::npos);
        CHECK(extract.find("Entry 2 of the consultation notes") != std::string::npos);
        auto history = Transfer::transfer(*t.newPractice, id)->getArray("history");
        CHECK(history->size() >= 3);
    }

    TEST_CASE("GP2GP: inline documents arrive byte-identical") {
        Transfer t;
        const std::vector<SourceDocument> documents = {
            {"discharge-letter.txt", "text/plain", "Discharged home on 4 January.\n"},
            {"ecg-strip.png", "image/png", randomBytes(20'000, 7)},
        };
        writePatientRecord(t.recordSource, kNhsNumber, documents);
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "closed"));
        checkImportedDocuments(t, id, documents);
        CHECK(Transfer::waitForState(*t.oldPractice, id, "closed"));
    }

    TEST_CASE("GP2GP: a 30 MB document travels in fragments, out of order and duplicated") {
        // The hub lets later messages overtake one held back by a retry, fails the first document
        // message once and delivers the next one twice.
        Transfer t("", "", "mock.forwardInOrder = false\n");
        t.mock.injectFault(R"({"interaction": "COPC_IN000001UK01", "times": 1, "leg": "forward",
                           "fault": {"type": "http", "status": 503}})");
        t.mock.injectFault(R"({"interaction": "COPC_IN000001UK01", "times": 1, "leg": "forward",
                           "fault": {"type": "duplicate"}})");
        const std::vector<SourceDocument> documents = {
            {"scanned-letter.pdf", "application/pdf", randomBytes(30 * 1024 * 1024, 11)},
            {"note.txt", "text/plain", "A short note that travels inline.\n"},
        };
        writePatientRecord(t.recordSource, kNhsNumber, documents);
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "closed", std::chrono::minutes(3)));
        checkImportedDocuments(t, id, documents);
        CHECK(Transfer::waitForState(*t.oldPractice, id, "closed"));

        int fragments = 0;
        auto parts = Transfer::transfer(*t.newPractice, id)->getArray("parts");
        for (unsigned i = 0; i < parts->size(); ++i) {
            fragments += parts->getObject(i)->getValue<std::string>("kind") == "fragment";
        }
        CHECK(fragments >= 7); // 30 MB in pieces of at most 4.5 MB
        int faults = 0;
        for (const auto& entry : t.mock.journal()) {
            faults += entry->getValue<std::string>("outcome") == "forward-fault";
        }
        CHECK(faults == 2);
    }

    TEST_CASE("GP2GP: an extract over the threshold travels compressed") {
        Transfer t("gp2gp.largeThreshold = 16384\n");
        writePatientRecord(t.recordSource, kNhsNumber, {}, 400);
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "closed"));
        const auto extract = readWholeFile(t.imported(id) / "ehr-extract.xml");
        CHECK(extract.size() > 16384);
        CHECK(extract.find("Entry 399 of the consultation notes") != std::string::npos);
    }

    TEST_CASE("GP2GP: a patient the old practice does not hold is answered with NACK 06") {
        Transfer t;
        const auto id = t.request("9449305552");

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "failed"));
        CHECK(Transfer::errorCodeOf(*t.newPractice, id) == "06");
        CHECK(Transfer::errorCodeOf(*t.oldPractice, id) == "06");
        CHECK_FALSE(fs::exists(t.imported(id)));
    }

    TEST_CASE("GP2GP: a fragment that never arrives ends the transfer with NACK 31") {
        Transfer t("gp2gp.largeThreshold = 16384\n", "gp2gp.receiveTimeout = PT3S\n");
        // The hub cannot deliver one document message: the new practice never gets it.
        t.mock.injectFault(R"({"interaction": "COPC_IN000001UK01", "times": 1, "leg": "forward",
                           "fault": {"type": "http", "status": 400}})");
        writePatientRecord(t.recordSource, kNhsNumber,
                           {{"big.bin", "application/octet-stream", randomBytes(100'000, 3)}});
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "failed"));
        CHECK(Transfer::errorCodeOf(*t.newPractice, id) == "31");
        CHECK(waitUntil([&] { return Transfer::errorCodeOf(*t.oldPractice, id) == "31"; }));
        CHECK_FALSE(fs::exists(t.imported(id)));
    }

    TEST_CASE("GP2GP: the old practice's agent killed mid-transfer finishes after restart, nothing "
              "twice") {
        TransferUnderWay m(5);
        m.t.oldPractice->kill9();
        m.t.oldPractice->start();
        m.t.registerBoth(); // A's inbound port changed with the restart
        m.finishesByteIdentical();
        for (const auto& [messageId, count] : m.t.forwardsToNewPractice()) {
            CHECK_MESSAGE(count == 1, messageId);
        }
    }

    TEST_CASE("GP2GP: the new practice's agent killed mid-transfer finishes after restart") {
        TransferUnderWay m(8);
        m.t.newPractice->kill9();
        m.t.newPractice->start();
        m.t.registerBoth(); // B's inbound port changed with the restart
        m.finishesByteIdentical();
        CHECK(Transfer::waitForState(*m.t.oldPractice, m.id, "closed"));
    }

    TEST_CASE("GP2GP: spine-mock killed mid-transfer resumes forwarding after restart") {
        TransferUnderWay m(9);
        m.t.mock.kill9();
        m.t.mock.restartOnSamePort();
        m.finishesByteIdentical();
        CHECK(Transfer::waitForState(*m.t.oldPractice, m.id, "closed"));
    }

    TEST_CASE(
        "GP2GP: with autoAck off the practice accepts or rejects the record through the API") {
        Transfer t("", "gp2gp.autoAck = false\n");
        writePatientRecord(t.recordSource, kNhsNumber,
                           {{"letter.txt", "text/plain", "Dear colleague\n"}});

        SUBCASE("accepted") {
            const auto id = t.request();
            REQUIRE(Transfer::waitForState(*t.newPractice, id, "awaiting-ack"));
            CHECK(fs::exists(t.imported(id) / "letter.txt"));
            auto reply = t.newPractice->api().post("/v1/gp2gp/transfers/" + id + "/ack",
                                                   R"({"accepted": true})");
            CHECK(reply.status == 202);
            CHECK(Transfer::waitForState(*t.newPractice, id, "closed"));
            CHECK(Transfer::waitForState(*t.oldPractice, id, "closed"));
        }
        SUBCASE("rejected with reason 11") {
            const auto id = t.request();
            REQUIRE(Transfer::waitForState(*t.newPractice, id, "awaiting-ack"));
            auto reply = t.newPractice->api().post("/v1/gp2gp/transfers/" + id + "/ack",
                                                   R"({"reasonCode": "11"})");
            CHECK(reply.status == 202);
            CHECK(Transfer::waitForState(*t.newPractice, id, "failed"));
            CHECK(waitUntil([&] { return Transfer::errorCodeOf(*t.oldPractice, id) == "11"; }));
        }
    }

    TEST_CASE("GP2GP: a record.json the old practice cannot read is answered with NACK 10") {
        Transfer t;
        fs::create_directories(t.recordSource / kNhsNumber);
        std::ofstream(t.recordSource / kNhsNumber / "record.json") << R"({"patient": {}})";
        const auto id = t.request();

        REQUIRE(Transfer::waitForState(*t.newPractice, id, "failed"));
        CHECK(Transfer::errorCodeOf(*t.newPractice, id) == "10");
    }

    TEST_CASE("GP2GP: requests are checked before anything is stored") {
        Transfer t;
        auto api = t.newPractice->api();
        auto badNhs = api.post("/v1/gp2gp/requests",
                               R"({"nhsNumber": "9449304131", "fromOdsCode": "A83008"})");
        CHECK(badNhs.status == 400);
        CHECK(badNhs.body.find(R"("field":"nhsNumber")") != std::string::npos);
        auto unknownPractice = api.post("/v1/gp2gp/requests",
                                        R"({"nhsNumber": "9449304130", "fromOdsCode": "Z99999"})");
        CHECK(unknownPractice.status == 503);
        CHECK(unknownPractice.body.find(R"("field":"sds")") != std::string::npos);
        gp::agent::ApiClient anonymous("127.0.0.1", t.newPractice->apiPort(), "");
        CHECK(anonymous.get("/v1/gp2gp/transfers").status == 401);
        auto list = parseJsonObject(api.get("/v1/gp2gp/transfers").body);
        CHECK(list->getArray("transfers")->size() == 0);
    }

} // TEST_SUITE
