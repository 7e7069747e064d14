// The fault matrix (docs/reliability.md): one row per way the network, the Spine or the agent's
// own disk can fail, each against real gp-agent and spine-mock processes. Network faults come
// from the fault proxy between them (tests/support/FaultProxy), Spine's from spine-mock's fault
// rules, the disk's from a preloaded shim (tests/support/faulty-disk). Each row checks the
// outcome in the agent's API and audit and in spine-mock's journal: processed exactly once,
// replays counted.

#include "FaultMatrixSetup.hpp"
#include "Gp2gpRecords.hpp"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <algorithm>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

int count(const std::vector<Poco::JSON::Object::Ptr>& entries, const std::string& outcome) {
    int n = 0;
    for (const auto& entry : entries) {
        n += entry->getValue<std::string>("outcome") == outcome;
    }
    return n;
}

std::chrono::milliseconds millisBetween(const Poco::JSON::Object::Ptr& earlier,
                                        const Poco::JSON::Object::Ptr& later) {
    int zone = 0;
    const auto at = [&](const Poco::JSON::Object::Ptr& entry) {
        return Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT,
                                           entry->getValue<std::string>("receivedAt"), zone)
            .timestamp();
    };
    return std::chrono::milliseconds((at(later) - at(earlier)) / 1000);
}

std::int64_t totalMessages(const Poco::JSON::Object::Ptr& status) {
    std::int64_t total = 0;
    const auto counts = status->getObject("counts");
    for (const auto& [state, value] : *counts) {
        total += value.convert<std::int64_t>();
    }
    return total;
}

std::string firstErrorMessage(const gp::agent::ApiReply& reply) {
    return parseJsonObject(reply.body)
        ->getArray("errors")
        ->getObject(0)
        ->getValue<std::string>("message");
}

std::string firstErrorField(const gp::agent::ApiReply& reply) {
    return parseJsonObject(reply.body)
        ->getArray("errors")
        ->getObject(0)
        ->getValue<std::string>("field");
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("fault matrix: connection refused → retried, then acked when the Spine is back") {
        FaultMatrix m;
        m.proxy->refuse();
        const auto id = m.accept();
        REQUIRE(waitUntil([&] { return m.attempts(id) >= 2; }));
        CHECK(m.historyHas(id, "retry-scheduled", "transport-connect-failed"));
        CHECK(m.journalOf(id).empty());

        m.proxy->passThrough();
        REQUIRE(m.agent->waitForState(id, "acked"));
        CHECK(count(m.journalOf(id), "processed") == 1);
    }

    TEST_CASE("fault matrix: server hangs → the client timeout fires, retried, acked once") {
        FaultMatrix m("http.timeout = PT0.5S\n");
        m.proxy->hang();
        const auto id = m.accept();
        REQUIRE(waitUntil([&] { return m.attempts(id) >= 2; }));
        CHECK(m.historyHas(id, "retry-scheduled", "transport-timeout"));
        CHECK(m.status()->getObject("lastTransportError")->getValue<std::string>("code") ==
              "transport-timeout");

        m.proxy->passThrough();
        REQUIRE(m.agent->waitForState(id, "acked"));
        CHECK(count(m.journalOf(id), "processed") == 1);
    }

    TEST_CASE("fault matrix: reset mid-upload of a 20 MB document → resent, arrives once, "
              "byte-identical") {
        // Two practices; the old one (the sender) reaches the hub through the proxy. Spine takes
        // no message over ~4.9 MB (ExtractPlanner.hpp), so the 20 MB document travels as six
        // fragment messages, several on their way at once; a connection is reset 3 MB into its
        // upload, inside one of them.
        const TestPractice oldPractice{"A83008", "A83008-9199121", "200000001234"};
        const TestPractice newPractice{"B86041", "B86041-9199122", "200000005678"};
        const std::string nhsNumber = "9449304130";
        TempDir dir{"gp-faults"};
        SpineMock mock(dir.path() / "mock", "mock.gp2gp.retryInterval = PT0.2S\n"
                                            "mock.forwardRetryDelay = PT0.1S\n"
                                            "mock.forwardMaxDelay = PT0.5S\n");
        mock.start();
        FaultProxy proxy("127.0.0.1", mock.port());
        const fs::path records = dir.path() / "records";
        const fs::path imports = dir.path() / "import";
        const SourceDocument document{"scan.pdf", "application/pdf",
                                      randomBytes(20 * 1024 * 1024, 5)};
        writePatientRecord(records, nhsNumber, {document});
        Agent sender(dir.path() / "old", proxy.baseUrl(),
                     kFastAgent + "gp2gp.recordSource = " + records.string() + "\n", oldPractice);
        Agent requester(dir.path() / "new", mock.baseUrl(),
                        "gp2gp.importDir = " + imports.string() + "\n", newPractice);
        sender.start();
        requester.start();
        mock.registerPractice(oldPractice.odsCode, oldPractice.partyKey, oldPractice.asid,
                              sender.inboundUrl());
        mock.registerPractice(newPractice.odsCode, newPractice.partyKey, newPractice.asid,
                              requester.inboundUrl());
        proxy.resetAfter(3 * 1024 * 1024);

        const auto reply =
            requester.api().post("/v1/gp2gp/requests", R"({"nhsNumber": ")" + nhsNumber +
                                                           R"(", "fromOdsCode": "A83008"})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        const auto id = parseJsonObject(reply.body)->getValue<std::string>("conversationId");
        REQUIRE(waitUntil(
            [&] {
                const auto view = requester.api().get("/v1/gp2gp/transfers/" + id);
                return view.status == 200 &&
                       parseJsonObject(view.body)->getValue<std::string>("state") == "closed";
            },
            std::chrono::minutes(3)));

        CHECK(proxy.resetsDone() == 1);
        CHECK(readWholeFile(imports / id / document.file) == document.bytes);
        // The reset message was sent again; the hub took every message of the sender once and
        // forwarded each once.
        std::string resent;
        const auto audit = parseJsonObject(sender.api().get("/v1/audit?after=0&limit=10000").body)
                               ->getArray("rows");
        for (unsigned i = 0; i < audit->size(); ++i) {
            const auto row = audit->getObject(i);
            if (row->getValue<std::string>("event") == "retry-scheduled" &&
                row->getValue<std::string>("detail").find("transport-") != std::string::npos) {
                resent = row->getValue<std::string>("messageId");
            }
        }
        REQUIRE_FALSE(resent.empty());
        std::map<std::string, std::pair<int, int>> perMessage; // accepted, forwarded
        // The transfer can close while the hub still forwards the last acks it accepted.
        waitUntil([&] {
            perMessage.clear();
            for (const auto& entry : mock.journal()) {
                const auto outcome = entry->getValue<std::string>("outcome");
                auto& counts = perMessage[entry->getValue<std::string>("messageId")];
                counts.first += outcome == "accepted";
                counts.second += outcome == "forwarded";
            }
            return std::all_of(perMessage.begin(), perMessage.end(), [](const auto& entry) {
                return entry.second.second >= entry.second.first;
            });
        });
        CHECK(perMessage[resent] == std::make_pair(1, 1));
        for (const auto& [messageId, counts] : perMessage) {
            CHECK_MESSAGE(counts.first <= 1, messageId);
            CHECK_MESSAGE(counts.second == counts.first, messageId);
        }
    }

    TEST_CASE("fault matrix: request processed but the reply lost → the resend is collapsed") {
        FaultMatrix m;
        m.proxy->swallowReplies(1);
        const auto id = m.accept();
        REQUIRE(m.agent->waitForState(id, "acked"));
        CHECK(m.proxy->repliesSwallowed() == 1);
        CHECK(m.attempts(id) == 2);
        CHECK(m.historyHas(id, "retry-scheduled", "transport-"));
        const auto journal = m.journalOf(id);
        CHECK(count(journal, "processed") == 1);
        CHECK(count(journal, "replayed") == 1);
    }

    TEST_CASE("fault matrix: slow trickle → read whole within the timeout, cut off beyond it") {
        FaultMatrix m("http.timeout = PT1S\n");
        m.proxy->trickle(Pacing{256, std::chrono::milliseconds(2)});
        const auto quick = m.accept();
        REQUIRE(m.agent->waitForState(quick, "acked"));
        CHECK(m.attempts(quick) == 1);

        // A byte every 50 ms: the reply would take minutes, so the whole-request timeout ends
        // the attempt; the resend is answered from Spine's record, not processed again.
        m.proxy->trickle(Pacing{1, std::chrono::milliseconds(50)});
        const auto slow = m.accept();
        REQUIRE(
            waitUntil([&] { return m.historyHas(slow, "retry-scheduled", "transport-timeout"); }));
        m.proxy->passThrough();
        REQUIRE(m.agent->waitForState(slow, "acked"));
        const auto journal = m.journalOf(slow);
        CHECK(count(journal, "processed") == 1);
        CHECK(count(journal, "replayed") >= 1);
    }

    TEST_CASE("fault matrix: 503 and 429 with Retry-After → the next attempt waits as told") {
        FaultMatrix m;
        m.mock.injectFault(R"({"interaction": "*", "times": 1,
            "fault": {"type": "http", "status": 503, "retryAfter": 1}})");
        m.mock.injectFault(R"({"interaction": "*", "times": 1,
            "fault": {"type": "http", "status": 429, "retryAfter": 1}})");
        const auto id = m.accept();
        REQUIRE(m.agent->waitForState(id, "acked"));
        CHECK(m.attempts(id) == 3);
        CHECK(m.historyHas(id, "retry-scheduled", "http-503"));
        CHECK(m.historyHas(id, "retry-scheduled", "http-429"));
        const auto journal = m.journalOf(id);
        REQUIRE(journal.size() == 3);
        CHECK(count(journal, "fault") == 2);
        CHECK(count(journal, "processed") == 1);
        // retry.maxDelay is 0.2 s here: only Retry-After can explain a second's wait.
        CHECK(millisBetween(journal[0], journal[1]) >= std::chrono::milliseconds(1000));
        CHECK(millisBetween(journal[1], journal[2]) >= std::chrono::milliseconds(1000));
    }

    TEST_CASE("fault matrix: retriable SOAP faults 200, 206, 208 → retried, then acked once") {
        FaultMatrix m;
        for (const char* code : {"200", "206", "208"}) {
            m.mock.injectFault(R"({"interaction": "*", "times": 1, "fault": {"type": "soapFault",
                "codes": [")" + std::string(code) +
                               R"("]}})");
        }
        const auto id = m.accept();
        REQUIRE(m.agent->waitForState(id, "acked"));
        CHECK(m.attempts(id) == 4);
        for (const char* code : {"200", "206", "208"}) {
            CHECK_MESSAGE(m.historyHas(id, "retry-scheduled", std::string("code ") + code), code);
        }
        const auto journal = m.journalOf(id);
        CHECK(count(journal, "fault") == 3);
        CHECK(count(journal, "processed") == 1);
    }

    TEST_CASE("fault matrix: permanent MessageError → failed at once, never sent again") {
        FaultMatrix m;
        m.mock.injectFault(R"({"interaction": "*", "times": 1, "fault": {"type": "messageError",
            "errorCode": "ValueNotRecognized", "description": "501319:Unknown eb:CPAId"}})");
        const auto id = m.accept();
        REQUIRE(m.agent->waitForState(id, "failed"));
        // A later message acked proves the dispatcher passed by the failed one since.
        REQUIRE(m.agent->waitForState(m.accept(), "acked"));
        CHECK(m.attempts(id) == 1);
        CHECK(m.agent->message(id)->getObject("lastError")->getValue<std::string>("code") ==
              "ValueNotRecognized");
        CHECK(m.journalOf(id).size() == 1);
        CHECK(m.status()->getValue<int>("needsAttention") >= 1);
    }

    TEST_CASE("fault matrix: persist duration exceeded → expired, raised in status, never sent "
              "again") {
        FaultMatrix m("eps.persistDuration = PT1S\n");
        m.mock.injectFault(
            R"({"interaction": "*", "times": 1000, "fault": {"type": "http", "status": 503}})");
        const auto id = m.accept();
        REQUIRE(m.agent->waitForState(id, "expired"));
        const int attempts = m.attempts(id);
        const auto sentBefore = m.journalOf(id).size();
        m.mock.clearFaults();
        REQUIRE(m.agent->waitForState(m.accept(), "acked"));
        CHECK(m.attempts(id) == attempts);
        CHECK(m.journalOf(id).size() == sentBefore);
        CHECK(count(m.journalOf(id), "processed") == 0);
        const auto status = m.status();
        CHECK(status->getObject("counts")->getValue<int>("expired") == 1);
        CHECK(status->getValue<int>("needsAttention") >= 1);
    }

    TEST_CASE("fault matrix: disk full → new work refused with 507 naming the store, what was "
              "accepted kept and delivered once when space returns" *
              doctest::test_suite("sqlite-only")) {
        FaultMatrix m("http.timeout = PT5S\ndispatch.lease = PT6S\n", FaultMatrix::Disk::Faulty);
        m.mock.registerPractice("B86041", "B86041-9199122", "200000005678",
                                "http://127.0.0.1:9/inbound");
        const auto delivered = m.accept();
        REQUIRE(m.agent->waitForState(delivered, "acked"));
        // Spine turns this one away for 2 s: it falls due again while the disk is full.
        m.mock.injectFault(R"({"interaction": "*", "times": 1,
            "fault": {"type": "http", "status": 503, "retryAfter": 2}})");
        const auto waiting = m.accept();
        REQUIRE(waitUntil([&] { return m.agent->stateOf(waiting) == "retry-wait"; }));

        // Spine processes this one at once, but its reply trickles in after the disk filled up:
        // the ack cannot be recorded, so the message must go again later.
        m.proxy->trickle(Pacing{256, std::chrono::milliseconds(100)});
        const auto inFlight = m.accept();
        REQUIRE(waitUntil([&] { return count(m.journalOf(inFlight), "processed") == 1; }));
        m.disk.fill();
        m.proxy->passThrough(); // the ack now meets a full disk however fast it comes
        const auto messagesBefore = totalMessages(m.status());

        const auto eps = m.agent->submit(prescriptionJson());
        CHECK(eps.status == 507);
        CHECK(firstErrorField(eps) == "store");
        CHECK(firstErrorMessage(eps).find("out of disk space") != std::string::npos);
        const auto gp2gp = m.agent->api().post(
            "/v1/gp2gp/requests", R"({"nhsNumber": "9449304130", "fromOdsCode": "B86041"})");
        CHECK_MESSAGE(gp2gp.status == 507, gp2gp.body);
        const auto ers = m.agent->api().post(
            "/v1/ers/referrals", R"({"nhsNumber": "9449304130", "serviceIds": ["10000001"]})");
        CHECK_MESSAGE(ers.status == 507, ers.body);
        const auto mhs =
            gp::agent::ApiClient("127.0.0.1", m.agent->inboundPort(), "").post("/inbound", "<x/>");
        CHECK(mhs.status == 507);
        CHECK(mhs.body.find("store is full") != std::string::npos);

        const auto storage = m.status()->getObject("storage");
        CHECK(storage->getValue<std::string>("state") == "full");
        CHECK(storage->getValue<std::string>("detail").find("SQLITE_FULL") != std::string::npos);
        CHECK(runAgentCtl(m.agent->configFile(), {"status"}).output.find("storage: full") !=
              std::string::npos);
        REQUIRE(waitUntil([&] {
            return readWholeFile(m.agent->logFile()).find("could not record ack for " + inFlight) !=
                   std::string::npos;
        }));
        CHECK(m.agent->stateOf(inFlight) == "sending");
        // The dispatcher cannot claim the waiting message (a claim is a write) and leaves it be.
        REQUIRE(waitUntil([&] {
            return readWholeFile(m.agent->logFile()).find("cannot claim due messages") !=
                   std::string::npos;
        }));
        CHECK(m.agent->stateOf(waiting) == "retry-wait");
        CHECK(m.attempts(waiting) == 1);
        // Nothing half stored: no message, no spooled body.
        CHECK(totalMessages(m.status()) == messagesBefore);
        for (const auto& entry : fs::directory_iterator(m.agent->stateDir() / "inbox")) {
            CHECK_MESSAGE(entry.path().filename().string().rfind(".incoming-", 0) != 0,
                          entry.path());
        }

        m.disk.heal();
        const auto after = m.accept();
        CHECK(m.status()->getObject("storage")->getValue<std::string>("state") == "ok");
        REQUIRE(m.agent->waitForState(after, "acked"));
        REQUIRE(m.agent->waitForState(inFlight, "acked"));
        REQUIRE(m.agent->waitForState(waiting, "acked"));
        CHECK(count(m.journalOf(waiting), "processed") == 1);
        CHECK(count(m.journalOf(inFlight), "processed") == 1);
        CHECK(count(m.journalOf(inFlight), "replayed") == 1);
        CHECK(count(m.journalOf(after), "processed") == 1);
        CHECK(m.agent->stateOf(delivered) == "acked");
        CHECK(runAgentCtl(m.agent->configFile(), {"audit", "verify"}).exitCode == 0);
    }

    TEST_CASE("fault matrix: disk I/O error → new work refused with 503 naming the store, "
              "accepted again when the disk recovers" *
              doctest::test_suite("sqlite-only")) {
        FaultMatrix m("", FaultMatrix::Disk::Faulty);
        const auto delivered = m.accept();
        REQUIRE(m.agent->waitForState(delivered, "acked"));
        m.disk.fail();
        const auto messagesBefore = totalMessages(m.status());

        const auto eps = m.agent->submit(prescriptionJson());
        CHECK(eps.status == 503);
        CHECK(firstErrorField(eps) == "store");
        CHECK(firstErrorMessage(eps).find("cannot write to its disk") != std::string::npos);
        const auto mhs =
            gp::agent::ApiClient("127.0.0.1", m.agent->inboundPort(), "").post("/inbound", "<x/>");
        CHECK(mhs.status == 503);
        CHECK(m.status()->getObject("storage")->getValue<std::string>("state") == "io-error");
        CHECK(totalMessages(m.status()) == messagesBefore);

        m.disk.heal();
        const auto after = m.accept();
        REQUIRE(m.agent->waitForState(after, "acked"));
        CHECK(m.status()->getObject("storage")->getValue<std::string>("state") == "ok");
        CHECK(count(m.journalOf(after), "processed") == 1);
        CHECK(count(m.journalOf(delivered), "processed") == 1);
        CHECK(runAgentCtl(m.agent->configFile(), {"audit", "verify"}).exitCode == 0);
    }

} // TEST_SUITE
