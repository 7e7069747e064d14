// What only a shared PostgreSQL store promises: several gp-agent instances on one schema never
// take the same message, a lapsed lease passes to another instance, an inbound message is kept
// once whoever receives it, and each instance keeps its own audit chain (docs/architecture.md,
// "Hosted fleets"). Run by ctest -L agent-pg against the throw-away server (docs/testing.md).

#include "PostgresSkip.hpp"
#include "PostgresTestDatabase.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

/// One schema shared by the instances a test opens, and a directory for their files.
struct Fleet {
    explicit Fleet(const std::string& serverUrl) : database(serverUrl) {}

    std::unique_ptr<Store> open(const std::string& instance, const Clock& clock) {
        return openPostgresStore(database.url(), instance, clock);
    }

    test::TempDir dir;
    test::PostgresTestDatabase database;
};

InboundMessage received(const std::string& messageId, const std::filesystem::path& bodyFile,
                        TimePoint now, const std::string& ack) {
    InboundMessage message;
    message.messageId = messageId;
    message.conversationId = "CONV-1";
    message.service = "urn:nhs:names:services:gp2gp";
    message.interaction = "RCMR_IN010000UK05";
    message.fromPartyId = "B86041-822103";
    message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"";
    message.bodyFile = bodyFile;
    writeFileAtomically(message.bodyFile, "body of " + messageId);
    message.bodyBytes = static_cast<std::int64_t>(8 + messageId.size());
    message.receivedAt = now;
    message.keepUntil = now + 4h;
    message.ackStatus = 202;
    message.ackContentType = "text/xml";
    message.ackBody = ack;
    return message;
}

} // namespace

TEST_SUITE("postgres") {

    TEST_CASE("two instances claiming at once never take one message twice and take "
              "them all") {
        GP_SKIP_WITHOUT_POSTGRES();
        Fleet fleet(test::requirePostgresServerUrl());
        test::ManualClock clock;
        auto a = fleet.open("instance-a", clock);
        auto b = fleet.open("instance-b", clock);

        constexpr int kMessages = 400;
        test::SeededRandom random(7);
        for (int i = 0; i < kMessages; ++i) {
            const std::string id = messaging::ids::newUuid(random);
            REQUIRE(a->enqueue(test::makeMessage(id, clock.now()), test::apiEvent(id)));
        }

        std::mutex seenMutex;
        std::map<std::string, std::string> claimedBy; // message id -> instance/thread
        std::vector<std::string> twice;
        std::atomic<int> claimedCount{0};
        std::atomic<int> failures{0};
        std::vector<std::thread> threads;
        for (Store* store : {a.get(), b.get()}) {
            for (int worker = 0; worker < 2; ++worker) {
                const std::string who =
                    std::string(store == a.get() ? "a" : "b") + "-worker-" + std::to_string(worker);
                threads.emplace_back([&, store, who] {
                    // Bounded so that a store that stops claiming ends the test, not hangs it.
                    for (int round = 0; round < 20000 && claimedCount.load() < kMessages; ++round) {
                        auto claimed = store->claimDue(who, 10min, 8);
                        if (!claimed) {
                            ++failures;
                            continue;
                        }
                        for (const ClaimedMessage& message : *claimed) {
                            {
                                std::lock_guard lock(seenMutex);
                                if (!claimedBy.emplace(message.record.messageId, who).second) {
                                    twice.push_back(message.record.messageId);
                                }
                            }
                            ++claimedCount;
                            if (!store->recordAcked(message.record.messageId, who, "ack")) {
                                ++failures;
                            }
                        }
                        if (claimed->empty()) {
                            std::this_thread::yield();
                        }
                    }
                });
            }
        }
        for (std::thread& thread : threads) {
            thread.join();
        }

        CHECK(twice.empty());
        CHECK(claimedBy.size() == kMessages);
        CHECK(failures.load() == 0);
        const StatusSummary status = b->status();
        CHECK(status.counts.at(MessageState::Acked) == kMessages);
        CHECK(status.counts.at(MessageState::Queued) == 0);
        CHECK(status.counts.at(MessageState::Sending) == 0);
        CHECK(a->verifyAudit().intact);
    }

    TEST_CASE("a second store with a live instance's name is refused, naming it") {
        GP_SKIP_WITHOUT_POSTGRES();
        Fleet fleet(test::requirePostgresServerUrl());
        test::ManualClock clock;
        auto first = fleet.open("instance-a", clock);

        std::string refusal;
        try {
            auto second = fleet.open("instance-a", clock);
        } catch (const std::runtime_error& error) {
            refusal = error.what();
        }
        CHECK_MESSAGE(refusal.find("instance-a") != std::string::npos, "refusal: " << refusal);

        // Another name is welcome, and the name is free again once its store is closed: at once,
        // not when the server gets round to ending the closed session (a restart follows at once).
        CHECK_NOTHROW(fleet.open("instance-b", clock));
        // The instance lock's keys are hashtext(current_schema()) and hashtext('gp-agent
        // instance ' || name), int4s that pg_locks shows as unsigned classid and objid (other
        // tests' schemas on the server have an instance-a too).
        const std::string instanceLocks =
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND objsubid = 2 AND classid::bigint ="
            " (hashtext(current_schema())::bigint + 4294967296) % 4294967296"
            " AND objid::bigint ="
            " (hashtext('gp-agent instance instance-a')::bigint + 4294967296) % 4294967296";
        CHECK(fleet.database.scalar(instanceLocks) == "1");
        first.reset();
        CHECK(fleet.database.scalar(instanceLocks) == "0");
        CHECK_NOTHROW(fleet.open("instance-a", clock));
    }

    TEST_CASE("a lease that ran out is taken over by another instance and the first "
              "holder's answer is refused") {
        GP_SKIP_WITHOUT_POSTGRES();
        Fleet fleet(test::requirePostgresServerUrl());
        test::ManualClock clockA;
        test::ManualClock clockB; // B's clock runs on past A's lease; A's stands still
        auto a = fleet.open("instance-a", clockA);
        auto b = fleet.open("instance-b", clockB);

        REQUIRE(a->enqueue(test::makeMessage("MSG-1", clockA.now()), test::apiEvent("MSG-1")));
        // Each gp-agent process claims under an owner id of its own (AgentRuntime: a UUID).
        auto claimedByA = a->claimDue("owner-a", 30s, 10);
        REQUIRE(claimedByA);
        REQUIRE(claimedByA->size() == 1);
        CHECK(b->claimDue("owner-b", 30s, 10)->empty()); // A's lease is live

        clockB.advance(31s);
        auto claimedByB = b->claimDue("owner-b", 30s, 10);
        REQUIRE(claimedByB);
        REQUIRE(claimedByB->size() == 1);
        CHECK(claimedByB->front().record.messageId == "MSG-1");
        CHECK(claimedByB->front().record.attempts == 2);

        CHECK_FALSE(a->recordAcked("MSG-1", "owner-a", "late ack").ok());
        CHECK(test::stateName(b->findMessage("MSG-1")->state) == "sending");
        CHECK(b->recordAcked("MSG-1", "owner-b", "ack").ok());
        CHECK(test::stateName(a->findMessage("MSG-1")->state) == "acked");
    }

    TEST_CASE("an inbound message received by two instances is kept once and the "
              "second gets the original back") {
        GP_SKIP_WITHOUT_POSTGRES();
        Fleet fleet(test::requirePostgresServerUrl());
        test::ManualClock clock;
        auto a = fleet.open("instance-a", clock);
        auto b = fleet.open("instance-b", clock);

        const AuditEvent event{"inbound", "received", "IN-1", "interaction RCMR_IN010000UK05"};
        const auto first = a->admitInbound(
            received("IN-1", fleet.dir.file("a-IN-1.msg"), clock.now(), "<ack from a/>"), event);
        REQUIRE(first.ok());
        CHECK_FALSE(first->duplicate);

        clock.advance(1s);
        const auto second = b->admitInbound(
            received("IN-1", fleet.dir.file("b-IN-1.msg"), clock.now(), "<ack from b/>"), event);
        REQUIRE(second.ok());
        CHECK(second->duplicate);
        REQUIRE(second->original.has_value());
        CHECK(second->original->message.ackBody == "<ack from a/>");
        CHECK(second->original->message.bodyFile == fleet.dir.file("a-IN-1.msg"));

        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM inbox") == "1");
        const auto pending = b->pendingInbound(10);
        REQUIRE(pending.ok());
        REQUIRE(pending->size() == 1);
        CHECK(pending->front().message.messageId == "IN-1");
    }

    TEST_CASE("each instance writes its own audit chain, and a tampered row is found") {
        GP_SKIP_WITHOUT_POSTGRES();
        Fleet fleet(test::requirePostgresServerUrl());
        test::ManualClock clock;
        auto a = fleet.open("instance-a", clock);
        auto b = fleet.open("instance-b", clock);

        // Interleaved, so that the two chains' rows alternate in the shared table.
        for (int i = 0; i < 4; ++i) {
            const std::string fromA = "A-" + std::to_string(i);
            const std::string fromB = "B-" + std::to_string(i);
            REQUIRE(a->enqueue(test::makeMessage(fromA, clock.now()), test::apiEvent(fromA)));
            REQUIRE(b->enqueue(test::makeMessage(fromB, clock.now()), test::apiEvent(fromB)));
            clock.advance(1s);
        }

        const std::vector<AuditRow> rows = a->auditAfter(0, 100);
        REQUIRE(rows.size() == 8);
        std::map<std::string, std::vector<AuditRow>> chains;
        for (const AuditRow& row : rows) {
            chains[row.chain].push_back(row);
        }
        REQUIRE(chains.size() == 2);
        for (const auto& [chain, chainRows] : chains) {
            CAPTURE(chain);
            REQUIRE(chainRows.size() == 4);
            const char expectedPrefix = chain == "instance-a" ? 'A' : 'B';
            CHECK(chain == (expectedPrefix == 'A' ? "instance-a" : "instance-b"));
            CHECK(chainRows.front().prevHash.empty());
            for (std::size_t i = 0; i < chainRows.size(); ++i) {
                CHECK(chainRows[i].messageId.front() == expectedPrefix);
                if (i > 0) {
                    CHECK(chainRows[i].prevHash == chainRows[i - 1].hash);
                }
            }
        }
        const AuditVerification intact = b->verifyAudit();
        CHECK(intact.intact);
        CHECK(intact.rowsChecked == 8);

        const AuditRow victim = chains["instance-b"][2];
        fleet.database.exec("UPDATE audit SET detail = 'interaction forged' WHERE seq = " +
                            std::to_string(victim.seq));
        const AuditVerification broken = a->verifyAudit();
        CHECK_FALSE(broken.intact);
        CHECK(broken.firstBrokenSeq == victim.seq);
        CHECK(broken.reason.find("altered") != std::string::npos);
    }

} // TEST_SUITE
