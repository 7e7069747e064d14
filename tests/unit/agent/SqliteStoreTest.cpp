#include "../../../agent/src/store/Database.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
using gp::test::makeMessage;

namespace {

struct Fixture : test::OpenStore {
    std::string newId() { return messaging::ids::newUuid(random); }

    std::string enqueueOne(Milliseconds persistFor = 1h, int maxAttempts = 0) {
        const std::string id = newId();
        REQUIRE(store->enqueue(makeMessage(id, clock.now(), persistFor, maxAttempts),
                               test::apiEvent(id)));
        return id;
    }

    std::vector<std::string> events(const std::string& id) {
        std::vector<std::string> names;
        for (const AuditRow& row : store->auditForMessage(id)) {
            names.push_back(row.event);
        }
        return names;
    }

    std::string stateOf(const std::string& id) {
        const auto record = store->findMessage(id);
        REQUIRE(record.has_value());
        return test::stateName(record->state);
    }
};

using Events = std::vector<std::string>;

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("message states have stable names") {
        for (MessageState state :
             {MessageState::Queued, MessageState::Sending, MessageState::RetryWait,
              MessageState::Acked, MessageState::Failed, MessageState::Expired}) {
            CHECK((messageStateFromString(toString(state)) == state));
        }
        CHECK(std::string(toString(MessageState::RetryWait)) == "retry-wait");
        CHECK_FALSE(messageStateFromString("retry_wait").has_value());
    }

    TEST_CASE("a message goes queued, sending, retry-wait, sending, acked" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.newId();
        const OutboundMessage message = makeMessage(id, f.clock.now());
        REQUIRE(f.store->enqueue(message, test::apiEvent(id)));

        auto record = f.store->findMessage(id);
        REQUIRE(record);
        CHECK(test::stateName(record->state) == "queued");
        CHECK(record->attempts == 0);
        CHECK(record->nextAttemptAt == message.createdAt);
        CHECK(record->expiresAt == message.expiresAt);
        CHECK(record->interaction == "PORX_IN020101SM31");

        auto claimed = f.store->claimDue("worker-1", 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        const ClaimedMessage& first = claimed->front();
        CHECK(first.record.messageId == id);
        CHECK(test::stateName(first.record.state) == "sending");
        CHECK(first.record.attempts == 1);
        CHECK_FALSE(first.record.nextAttemptAt.has_value());
        CHECK(first.body == message.body); // binary bytes survive, NUL included
        CHECK(first.soapAction == message.soapAction);
        CHECK(first.contentType == message.contentType);

        const TimePoint retryAt = f.clock.now() + 30s;
        REQUIRE(f.store->recordRetry(id, "worker-1", retryAt, {"http-503", "Service Unavailable"},
                                     true));
        record = f.store->findMessage(id);
        CHECK(test::stateName(record->state) == "retry-wait");
        CHECK(record->nextAttemptAt == retryAt);
        REQUIRE(record->lastError);
        CHECK(record->lastError->code == "http-503");

        auto early = f.store->claimDue("worker-1", 60s, 10);
        REQUIRE(early);
        CHECK(early->empty());

        f.clock.advance(30s);
        claimed = f.store->claimDue("worker-2", 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.attempts == 2);

        f.clock.advance(2s);
        REQUIRE(f.store->recordAcked(id, "worker-2", "ack from Spine"));
        record = f.store->findMessage(id);
        CHECK(test::stateName(record->state) == "acked");
        CHECK(record->ackedAt == f.clock.now());
        CHECK(record->attempts == 2);
        CHECK(record->lastError->code == "http-503"); // kept for the record

        const std::vector<AuditRow> audit = f.store->auditForMessage(id);
        REQUIRE(audit.size() == 5);
        CHECK(f.events(id) == Events{"accepted", "sending", "retry-scheduled", "sending", "acked"});
        CHECK(audit[0].actor == "api");
        CHECK(audit[0].detail == "interaction PORX_IN020101SM31");
        CHECK(audit[1].actor == "dispatcher");
        CHECK(audit[1].detail == "attempt 1");
        CHECK(audit[2].detail == "code http-503; next attempt 2026-03-15T06:51:38.000Z");
        CHECK(audit[3].detail == "attempt 2");
        CHECK(audit[4].detail == "ack from Spine");
        for (std::size_t i = 1; i < audit.size(); ++i) {
            CHECK(audit[i].seq > audit[i - 1].seq);
        }
        CHECK(f.store->verifyAudit().intact);
    }

    TEST_CASE("enqueueing the same MessageId twice fails and stores nothing more" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne();
        OutboundMessage again = makeMessage(id, f.clock.now());
        again.body = "different";
        const Status second = f.store->enqueue(again, test::apiEvent(id));
        REQUIRE_FALSE(second);
        CHECK(second.error().where == "messageId");
        CHECK(second.error().message == "message " + id + " already exists");
        CHECK(f.store->auditAfter(0, 100).size() == 1);
        auto claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().body == makeMessage(id, f.clock.now()).body);
    }

    TEST_CASE("an empty MessageId is refused" * doctest::test_suite("store-contract")) {
        Fixture f;
        const Status result = f.store->enqueue(makeMessage("", f.clock.now()), test::apiEvent(""));
        REQUIRE_FALSE(result);
        CHECK(result.error().where == "messageId");
        CHECK(f.store->auditAfter(0, 10).empty());
    }

    TEST_CASE("claims wait for the next attempt time and come oldest first" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string later = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(later, f.clock.now() + 1min), test::apiEvent(later)));
        const std::string older = f.enqueueOne();
        f.clock.advance(1s);
        const std::string newer = f.enqueueOne();

        auto claimed = f.store->claimDue("worker", 60s, 1);
        REQUIRE(claimed);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.messageId == older);

        claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.messageId == newer);
        CHECK(f.stateOf(later) == "queued");

        f.clock.advance(59s);
        claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.messageId == later);
    }

    TEST_CASE("a leased message is not claimed again until the lease runs out" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne();
        REQUIRE(f.store->claimDue("worker-a", 60s, 10)->size() == 1);
        CHECK(f.store->claimDue("worker-b", 60s, 10)->empty());
        f.clock.advance(59s);
        CHECK(f.store->claimDue("worker-b", 60s, 10)->empty());

        f.clock.advance(1s);
        auto taken = f.store->claimDue("worker-b", 60s, 10);
        REQUIRE(taken);
        REQUIRE(taken->size() == 1);
        CHECK(taken->front().record.attempts == 2);
        CHECK(f.store->auditForMessage(id).back().detail ==
              "attempt 2; lease of worker-a had run out");

        const Status stale = f.store->recordAcked(id, "worker-a", "late ack");
        REQUIRE_FALSE(stale);
        CHECK(stale.error().message ==
              "message " + id + " is sending and not held by worker-a: the lease was lost");
        CHECK(f.store->recordAcked(id, "worker-b", "ack"));
    }

    TEST_CASE("outcomes recorded by anyone but the lease holder are refused" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne();
        REQUIRE(f.store->claimDue("holder", 60s, 10)->size() == 1);
        const std::size_t auditRows = f.store->auditAfter(0, 100).size();
        const std::string expected =
            "message " + id + " is sending and not held by intruder: the lease was lost";

        std::vector<Status> results;
        results.push_back(f.store->recordAcked(id, "intruder", "ack"));
        results.push_back(
            f.store->recordRetry(id, "intruder", f.clock.now() + 1s, {"http-500", "x"}, true));
        results.push_back(f.store->recordFailed(id, "intruder", {"0002", "x"}));
        results.push_back(f.store->recordExpired(id, "intruder", "x"));
        for (const Status& result : results) {
            REQUIRE_FALSE(result);
            CHECK(result.error().where == "messageId");
            CHECK(result.error().message == expected);
        }
        CHECK(f.stateOf(id) == "sending");
        CHECK(f.store->auditAfter(0, 100).size() == auditRows);

        const Status unknown = f.store->recordAcked("NO-SUCH-ID", "holder", "ack");
        REQUIRE_FALSE(unknown);
        CHECK(unknown.error().message == "no message NO-SUCH-ID");

        const std::string queued = f.enqueueOne(1h);
        f.clock.advance(1s);
        const Status notClaimed = f.store->recordAcked(queued, "holder", "ack");
        REQUIRE_FALSE(notClaimed);
        CHECK(notClaimed.error().message ==
              "message " + queued + " is queued and not held by holder: the lease was lost");

        REQUIRE(f.store->recordAcked(id, "holder", "ack"));
        CHECK_FALSE(f.store->recordAcked(id, "holder", "ack twice"));
    }

    TEST_CASE("messages past their persist duration expire when claims look for work" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne(10s);
        f.clock.advance(10s);
        CHECK(f.store->claimDue("worker", 60s, 0)->empty()); // at the expiry time it still counts
        CHECK(f.stateOf(id) == "queued");
        f.clock.advance(1ms);
        auto claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed);
        CHECK(claimed->empty());
        const auto record = f.store->findMessage(id);
        CHECK(test::stateName(record->state) == "expired");
        REQUIRE(record->lastError);
        CHECK(record->lastError->code == "expired");
        CHECK(record->lastError->text == "persist duration exceeded");
        CHECK(f.events(id) == Events{"accepted", "expired"});
        CHECK_FALSE(f.store->nextDueTime().has_value());
    }

    TEST_CASE("a retry that would come after expiry expires the message at once" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne(10min);
        REQUIRE(f.store->claimDue("worker", 60s, 10)->size() == 1);
        REQUIRE(
            f.store->recordRetry(id, "worker", f.clock.now() + 11min, {"http-503", "busy"}, true));
        const auto record = f.store->findMessage(id);
        CHECK(test::stateName(record->state) == "expired");
        CHECK_FALSE(record->nextAttemptAt.has_value());
        CHECK(f.events(id) == Events{"accepted", "sending", "expired"});
        CHECK(f.store->auditForMessage(id).back().detail ==
              "code http-503; next attempt 2026-03-15T07:02:08.000Z would be after expiry "
              "2026-03-15T07:01:08.000Z");
        f.clock.advance(1h);
        CHECK(f.store->claimDue("worker", 60s, 10)->empty());
        CHECK(f.stateOf(id) == "expired");
    }

    TEST_CASE("a message fails once it has used its maximum attempts" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string id = f.enqueueOne(1h, 2);
        for (int attempt = 1; attempt <= 2; ++attempt) {
            auto claimed = f.store->claimDue("worker", 60s, 10);
            REQUIRE(claimed->size() == 1);
            CHECK(claimed->front().record.attempts == attempt);
            REQUIRE(
                f.store->recordRetry(id, "worker", f.clock.now() + 10s, {"http-500", "x"}, true));
            f.clock.advance(10s);
        }
        CHECK(f.store->claimDue("worker", 60s, 10)->empty());
        const auto record = f.store->findMessage(id);
        CHECK(test::stateName(record->state) == "failed");
        CHECK(record->attempts == 2);
        CHECK(record->lastError->code == "retries-exhausted");
        CHECK(f.store->auditForMessage(id).back().event == "failed");
        CHECK(f.store->auditForMessage(id).back().detail ==
              "code retries-exhausted after 2 attempts");
    }

    TEST_CASE("permanent failures and expiry reported by the sender end the message" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string failed = f.enqueueOne();
        const std::string expired = f.enqueueOne();
        REQUIRE(f.store->claimDue("worker", 60s, 10)->size() == 2);
        REQUIRE(f.store->recordFailed(failed, "worker", {"0002", "ValueNotRecognized"}));
        REQUIRE(f.store->recordExpired(expired, "worker", "interaction persist duration passed"));

        const auto failedRecord = f.store->findMessage(failed);
        CHECK(test::stateName(failedRecord->state) == "failed");
        CHECK(failedRecord->lastError->code == "0002");
        CHECK(f.store->auditForMessage(failed).back().detail == "code 0002");

        const auto expiredRecord = f.store->findMessage(expired);
        CHECK(test::stateName(expiredRecord->state) == "expired");
        CHECK(expiredRecord->lastError->text == "interaction persist duration passed");
        CHECK(f.events(expired).back() == "expired");

        f.clock.advance(1h);
        CHECK(f.store->claimDue("worker", 60s, 10)->empty());
    }

    // Not in the store contract: a shared PostgreSQL store releases nothing at start-up (other
    // instances are sending those messages); its leases lapse instead (PostgresStoreTest).
    TEST_CASE("releasing all leases at start-up makes interrupted messages due now") {
        Fixture f;
        const std::string a = f.enqueueOne();
        const std::string b = f.enqueueOne();
        f.clock.advance(1s);
        const std::string c = f.enqueueOne();
        REQUIRE(f.store->claimDue("old-process", 10min, 2)->size() == 2);
        f.clock.advance(5s);

        const Result<int> released = f.store->releaseAllLeases();
        REQUIRE(released);
        CHECK(*released == 2);
        for (const std::string& id : {a, b}) {
            const auto record = f.store->findMessage(id);
            CHECK(test::stateName(record->state) == "retry-wait");
            CHECK(record->nextAttemptAt == f.clock.now());
            const AuditRow last = f.store->auditForMessage(id).back();
            CHECK(last.event == "lease-released");
            CHECK(last.actor == "startup");
            CHECK(last.detail == "attempt 1 by old-process was interrupted");
        }
        CHECK(f.stateOf(c) == "queued");
        CHECK(*f.store->releaseAllLeases() == 0);

        auto claimed = f.store->claimDue("new-process", 60s, 10);
        REQUIRE(claimed->size() == 3);
        for (const ClaimedMessage& message : *claimed) {
            CHECK(message.record.attempts == (message.record.messageId == c ? 1 : 2));
        }
    }

    TEST_CASE("state survives closing and reopening the store" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        const std::string sent = f.enqueueOne();
        REQUIRE(f.store->claimDue("worker", 60s, 10)->size() == 1);
        REQUIRE(f.store->recordAcked(sent, "worker", "ack"));
        const std::string waiting = f.enqueueOne();

        f.reopen();
        CHECK(f.stateOf(sent) == "acked");
        CHECK(f.stateOf(waiting) == "queued");
        CHECK(f.events(sent) == Events{"accepted", "sending", "acked"});
        CHECK(f.store->verifyAudit().intact);
        auto claimed = f.store->claimDue("worker", 60s, 10);
        REQUIRE(claimed->size() == 1);
        CHECK(claimed->front().record.messageId == waiting);
        CHECK(claimed->front().body == makeMessage(waiting, f.clock.now()).body);
    }

    TEST_CASE("status counts every state and reports the last transport error" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        StatusSummary empty = f.store->status();
        CHECK(empty.counts.size() == 6);
        for (const auto& [state, count] : empty.counts) {
            CHECK(count == 0);
        }
        CHECK_FALSE(empty.oldestQueuedAt.has_value());
        CHECK_FALSE(empty.lastAckedAt.has_value());
        CHECK_FALSE(empty.lastTransportError.has_value());

        const TimePoint start = f.clock.now();
        const std::string acked = f.enqueueOne();
        const std::string failed = f.enqueueOne();
        const std::string retry = f.enqueueOne();
        const std::string expired = f.enqueueOne();
        const std::string sending = f.enqueueOne();
        REQUIRE(f.store->claimDue("worker", 60s, 5)->size() == 5);
        f.clock.advance(1s);
        REQUIRE(f.store->recordAcked(acked, "worker", "ack"));
        REQUIRE(f.store->recordFailed(failed, "worker", {"0002", "rejected"}));
        REQUIRE(f.store->recordRetry(retry, "worker", f.clock.now() + 1min, {"http-503", "first"},
                                     true));
        f.clock.advance(1s);
        REQUIRE(f.store->recordRetry(expired, "worker", f.clock.now() + 2h, {"timeout", "second"},
                                     true));
        const TimePoint lastErrorAt = f.clock.now();
        f.clock.advance(1s);
        const std::string queued = f.enqueueOne();

        const StatusSummary summary = f.store->status();
        CHECK(summary.counts.at(MessageState::Queued) == 1);
        CHECK(summary.counts.at(MessageState::Sending) == 1);
        CHECK(summary.counts.at(MessageState::RetryWait) == 1);
        CHECK(summary.counts.at(MessageState::Acked) == 1);
        CHECK(summary.counts.at(MessageState::Failed) == 1);
        CHECK(summary.counts.at(MessageState::Expired) == 1);
        CHECK(summary.oldestQueuedAt == start); // the retry-waiting one, created first
        CHECK(summary.lastAckedAt == start + 1s);
        REQUIRE(summary.lastTransportError);
        CHECK(summary.lastTransportError->code == "timeout");
        CHECK(summary.lastTransportErrorAt == lastErrorAt);
        CHECK(queued != sending);
    }

    TEST_CASE("the next due time covers waiting messages, their expiry and leases" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        CHECK_FALSE(f.store->nextDueTime().has_value());
        const TimePoint start = f.clock.now();
        const std::string id = f.newId();
        REQUIRE(f.store->enqueue(makeMessage(id, start + 5min, 1h), test::apiEvent(id)));
        CHECK(f.store->nextDueTime() == start + 5min);

        const std::string soon = f.enqueueOne(1min);
        REQUIRE(f.store->claimDue("worker", 30s, 10)->size() == 1);
        CHECK(f.store->nextDueTime() == start + 30s); // the lease

        REQUIRE(f.store->recordRetry(soon, "worker", start + 50s, {"http-503", "x"}, true));
        CHECK(f.store->nextDueTime() == start + 50s);

        // Due only after its expiry: the dispatcher must still wake to end it.
        OutboundMessage odd = makeMessage(f.newId(), start + 10min, 1min);
        odd.expiresAt = start + 20s;
        REQUIRE(f.store->enqueue(odd, test::apiEvent(odd.messageId)));
        CHECK(f.store->nextDueTime() == start + 20s + 1ms);
    }

    TEST_CASE("a failed write is rolled back whole and names SQLite's error") {
        Fixture f;
        const std::string queued = f.enqueueOne();
        f.store.reset();
        {
            test::RawDatabase raw(f.file);
            raw.exec("CREATE TRIGGER refuse_audit BEFORE INSERT ON audit"
                     " BEGIN SELECT RAISE(ABORT, 'audit refused by test'); END");
        }
        f.store = openSqliteStore(f.file, f.clock);

        const std::string id = f.newId();
        const Status result = f.store->enqueue(makeMessage(id, f.clock.now()), test::apiEvent(id));
        REQUIRE_FALSE(result);
        CHECK(result.error().where == "store");
        CHECK(result.error().message ==
              "enqueue: audit refused by test (SQLITE_CONSTRAINT_TRIGGER)");
        CHECK_FALSE(
            f.store->findMessage(id).has_value()); // the message row went with the audit row

        const auto claim = f.store->claimDue("worker", 60s, 10);
        REQUIRE_FALSE(claim);
        const auto record = f.store->findMessage(queued);
        CHECK(test::stateName(record->state) == "queued");
        CHECK(record->attempts == 0);
    }

    TEST_CASE("SQLite result codes are named so a full disk reads differently from an I/O error") {
        CHECK(sqlite::describeSqliteResult(SQLITE_FULL, "database or disk is full") ==
              "database or disk is full (SQLITE_FULL)");
        CHECK(sqlite::describeSqliteResult(SQLITE_IOERR_FSYNC, "disk I/O error") ==
              "disk I/O error (SQLITE_IOERR_FSYNC)");
        CHECK(sqlite::describeSqliteResult(SQLITE_IOERR | (99 << 8), "disk I/O error") ==
              "disk I/O error (SQLITE_IOERR, extended code " +
                  std::to_string(SQLITE_IOERR | (99 << 8)) + ")");
    }

    TEST_CASE("a read-only store reads but refuses every write") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        const std::string id = "6B1F0B8A-4C3D-4E5F-8A9B-0C1D2E3F4A5B";
        {
            auto store = openSqliteStore(file, clock);
            REQUIRE(store->enqueue(makeMessage(id, clock.now()), test::apiEvent(id)));
        }
        auto readOnly = openSqliteStoreReadOnly(file, clock);
        REQUIRE(readOnly->findMessage(id).has_value());
        CHECK(readOnly->verifyAudit().intact);
        CHECK(readOnly->status().counts.at(MessageState::Queued) == 1);

        const std::string other = "7C2A1B9B-4C3D-4E5F-8A9B-0C1D2E3F4A5B";
        const Status enqueue =
            readOnly->enqueue(makeMessage(other, clock.now()), test::apiEvent(other));
        REQUIRE_FALSE(enqueue);
        CHECK(enqueue.error().where == "store");
        CHECK(enqueue.error().message == "enqueue: the store is open read-only");
        CHECK_FALSE(readOnly->claimDue("worker", 60s, 10));
        CHECK_FALSE(readOnly->releaseAllLeases());
        CHECK_FALSE(readOnly->recordAcked(id, "worker", "ack"));
        CHECK(test::stateName(readOnly->findMessage(id)->state) == "queued");
    }

    TEST_CASE("opening a missing file read-only or an unusable path throws") {
        test::TempDir dir;
        test::ManualClock clock;
        CHECK_THROWS_AS(openSqliteStoreReadOnly(dir.file("missing.db"), clock), std::runtime_error);
        CHECK_FALSE(std::filesystem::exists(dir.file("missing.db")));
        CHECK_THROWS_WITH_AS(openSqliteStore(dir.file("no-dir") / "agent.db", clock),
                             doctest::Contains("unable to open database file (SQLITE_CANTOPEN"),
                             std::runtime_error);
    }

} // TEST_SUITE
