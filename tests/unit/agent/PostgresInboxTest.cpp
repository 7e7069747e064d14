// Inbound messages across instances of a shared PostgreSQL store, at the very same moment: two
// instances admitting one MessageId keep one row, and two instances processing one inbound
// message process it once (Store::admitInbound, Store::applyStep). The races are made real, not
// hoped for: the test holds a lock (the inbox table, or the message's row) until both instances
// wait on it, then lets them go together. Run by ctest -L agent-pg against the throw-away server
// (docs/testing.md).

#include "PostgresSkip.hpp"
#include "PostgresTestDatabase.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

/// Two instances on one schema, a directory for their files, and the test's own connection.
struct TwoInstances {
    explicit TwoInstances(const std::string& serverUrl) : database(serverUrl) {}

    test::TempDir dir;
    test::ManualClock clock;
    test::PostgresTestDatabase database;
    std::unique_ptr<Store> a = openPostgresStore(database.url(), "instance-a", clock);
    std::unique_ptr<Store> b = openPostgresStore(database.url(), "instance-b", clock);

    InboundMessage received(const std::string& messageId, const std::string& fileName,
                            const std::string& ack) {
        InboundMessage message;
        message.messageId = messageId;
        message.conversationId = "CONV-1";
        message.service = "urn:nhs:names:services:gp2gp";
        message.interaction = "RCMR_IN010000UK05";
        message.fromPartyId = "B86041-822103";
        message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"";
        message.bodyFile = dir.file(fileName);
        writeFileAtomically(message.bodyFile, "body " + fileName);
        message.bodyBytes = 5 + static_cast<std::int64_t>(fileName.size());
        message.receivedAt = clock.now();
        message.keepUntil = clock.now() + 4h;
        message.ackStatus = 202;
        message.ackContentType = "text/xml";
        message.ackBody = ack;
        return message;
    }

    /// Runs `first` and `second` on two threads that both come to wait on the lock `lockSql`
    /// takes for the test, and releases them together once both wait (directly or behind one
    /// another).
    void together(const std::string& lockSql, const std::function<void()>& first,
                  const std::function<void()>& second) {
        database.exec("BEGIN");
        database.exec(lockSql);
        std::thread one(first);
        std::thread two(second);
        const bool bothWaiting = waitFor([&] {
            return database.scalar("WITH RECURSIVE blocked (pid) AS ("
                                   " SELECT pid FROM pg_stat_activity"
                                   " WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid))"
                                   " UNION SELECT a.pid FROM pg_stat_activity a"
                                   " JOIN blocked b ON b.pid = ANY (pg_blocking_pids(a.pid)))"
                                   " SELECT COUNT(*) FROM blocked") == "2";
        });
        database.exec("COMMIT");
        one.join();
        two.join();
        REQUIRE_MESSAGE(bothWaiting, "the two instances never waited on the inbox together");
    }

    static bool waitFor(const std::function<bool()>& condition) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (!condition()) {
            if (std::chrono::steady_clock::now() > deadline) {
                return false;
            }
            std::this_thread::yield();
        }
        return true;
    }

    OutboundMessage outbound(const std::string& messageId) {
        OutboundMessage message = test::makeMessage(messageId, clock.now());
        message.conversationId = "CONV-1";
        message.interaction = "COPC_IN000001UK01";
        message.service = "urn:nhs:names:services:gp2gp";
        return message;
    }
};

constexpr const char* kLockInbox = "LOCK TABLE inbox IN EXCLUSIVE MODE";
constexpr const char* kLockRow = "SELECT 1 FROM inbox WHERE message_id = 'IN-1' FOR UPDATE";

const AuditEvent kReceived{"inbound", "received", "IN-1", "interaction RCMR_IN010000UK05"};

/// Signals a store raises, waited on by the test.
class SignalLog {
public:
    StoreSignalListener listener() {
        return [this](StoreSignal signal) {
            std::lock_guard lock(m_mutex);
            m_signals.push_back(signal);
            m_arrived.notify_all();
        };
    }
    bool waitFor(StoreSignal wanted) {
        std::unique_lock lock(m_mutex);
        return m_arrived.wait_for(lock, 20s, [&] {
            return std::find(m_signals.begin(), m_signals.end(), wanted) != m_signals.end();
        });
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_arrived;
    std::vector<StoreSignal> m_signals;
};

} // namespace

TEST_SUITE("postgres") {

    TEST_CASE("two instances admitting one inbound message at the same moment keep one row "
              "and the loser answers with the winner's ack") {
        GP_SKIP_WITHOUT_POSTGRES();
        TwoInstances fleet(test::requirePostgresServerUrl());
        const InboundMessage fromA = fleet.received("IN-1", "a-IN-1.msg", "<ack from a/>");
        const InboundMessage fromB = fleet.received("IN-1", "b-IN-1.msg", "<ack from b/>");
        std::optional<Result<InboundAdmission>> admittedByA;
        std::optional<Result<InboundAdmission>> admittedByB;
        fleet.together(
            kLockInbox, [&] { admittedByA.emplace(fleet.a->admitInbound(fromA, kReceived)); },
            [&] { admittedByB.emplace(fleet.b->admitInbound(fromB, kReceived)); });

        REQUIRE(admittedByA->ok());
        REQUIRE(admittedByB->ok());
        REQUIRE((*admittedByA)->duplicate != (*admittedByB)->duplicate);
        const bool aWon = !(*admittedByA)->duplicate;
        const InboundAdmission& loser = aWon ? **admittedByB : **admittedByA;
        const std::string winnersAck = aWon ? "<ack from a/>" : "<ack from b/>";
        REQUIRE(loser.original.has_value());
        CHECK(loser.original->message.ackBody == winnersAck);

        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM inbox") == "1");
        CHECK(fleet.a->findInbound("IN-1")->message.ackBody == winnersAck);
        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM audit WHERE message_id = 'IN-1'"
                                    " AND event = 'received'") == "1");
        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM audit WHERE message_id = 'IN-1'"
                                    " AND event = 'duplicate-received'") == "1");
    }

    TEST_CASE("two instances replacing one inbound message past its persist duration at the "
              "same moment replace it once") {
        GP_SKIP_WITHOUT_POSTGRES();
        TwoInstances fleet(test::requirePostgresServerUrl());
        REQUIRE(
            fleet.a->admitInbound(fleet.received("IN-1", "old.msg", "<old ack/>"), kReceived).ok());
        fleet.clock.advance(5h);
        const InboundMessage fromA = fleet.received("IN-1", "a-IN-1.msg", "<ack from a/>");
        const InboundMessage fromB = fleet.received("IN-1", "b-IN-1.msg", "<ack from b/>");
        std::optional<Result<InboundAdmission>> admittedByA;
        std::optional<Result<InboundAdmission>> admittedByB;
        fleet.together(
            kLockRow, [&] { admittedByA.emplace(fleet.a->admitInbound(fromA, kReceived)); },
            [&] { admittedByB.emplace(fleet.b->admitInbound(fromB, kReceived)); });

        REQUIRE(admittedByA->ok());
        REQUIRE(admittedByB->ok());
        REQUIRE((*admittedByA)->duplicate != (*admittedByB)->duplicate);
        const bool aWon = !(*admittedByA)->duplicate;
        const InboundAdmission& loser = aWon ? **admittedByB : **admittedByA;
        const std::string winnersAck = aWon ? "<ack from a/>" : "<ack from b/>";
        REQUIRE(loser.original.has_value());
        CHECK(loser.original->message.ackBody == winnersAck);
        const auto stored = fleet.b->findInbound("IN-1");
        REQUIRE(stored.has_value());
        CHECK(stored->message.ackBody == winnersAck);
        CHECK(stored->message.receivedAt == fleet.clock.now());
        CHECK(stored->state == InboundState::Received);
        // The replaced row's file went with it; the caller deletes the duplicate's own.
        CHECK_FALSE(std::filesystem::exists(fleet.dir.file("old.msg")));
        CHECK(std::filesystem::exists(fleet.dir.file(aWon ? "a-IN-1.msg" : "b-IN-1.msg")));
        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM audit WHERE message_id = 'IN-1'"
                                    " AND event = 'received'") == "2");
    }

    TEST_CASE("two instances processing one inbound message at the same moment process it once") {
        GP_SKIP_WITHOUT_POSTGRES();
        TwoInstances fleet(test::requirePostgresServerUrl());
        REQUIRE(
            fleet.a->admitInbound(fleet.received("IN-1", "IN-1.msg", "<ack/>"), kReceived).ok());
        // Both workflows read it as pending before either step commits.
        REQUIRE(fleet.a->pendingInbound(10)->size() == 1);
        REQUIRE(fleet.b->pendingInbound(10)->size() == 1);

        const auto stepSending = [&](const std::string& messageId) {
            WorkflowStep step;
            step.outbound = {fleet.outbound(messageId)};
            step.inboundProcessed = {"IN-1"};
            step.audit = {AuditEvent{"gp2gp", "request-accepted", "IN-1", "by " + messageId}};
            return step;
        };
        std::optional<Status> appliedByA;
        std::optional<Status> appliedByB;
        fleet.together(
            kLockInbox, [&] { appliedByA.emplace(fleet.a->applyStep(stepSending("OUT-A"))); },
            [&] { appliedByB.emplace(fleet.b->applyStep(stepSending("OUT-B"))); });

        REQUIRE(appliedByA->ok() != appliedByB->ok());
        const bool aWon = appliedByA->ok();
        const Status& refused = aWon ? *appliedByB : *appliedByA;
        CHECK(refused.error().where == "inboundProcessed");
        CHECK(refused.error().message ==
              "inbound message IN-1 is processed already: it was handled by another step");
        // The loser's whole step rolled back: its message was never queued, nor audited.
        CHECK(fleet.a->findMessage(aWon ? "OUT-A" : "OUT-B").has_value());
        CHECK_FALSE(fleet.a->findMessage(aWon ? "OUT-B" : "OUT-A").has_value());
        CHECK(fleet.database.scalar("SELECT COUNT(*) FROM audit WHERE message_id = 'IN-1'"
                                    " AND event = 'request-accepted'") == "1");
        CHECK(fleet.b->findInbound("IN-1")->state == InboundState::Processed);
        CHECK(fleet.a->pendingInbound(10)->empty());
    }

    TEST_CASE("the other instance hears of an admitted message and of a step's queued "
              "messages") {
        GP_SKIP_WITHOUT_POSTGRES();
        TwoInstances fleet(test::requirePostgresServerUrl());
        SignalLog heardByB;
        fleet.b->setSignalListener(heardByB.listener());

        REQUIRE(
            fleet.a->admitInbound(fleet.received("IN-1", "IN-1.msg", "<ack/>"), kReceived).ok());
        CHECK(heardByB.waitFor(StoreSignal::InboxChanged));

        WorkflowStep step;
        step.outbound = {fleet.outbound("OUT-1")};
        step.inboundProcessed = {"IN-1"};
        REQUIRE(fleet.a->applyStep(step).ok());
        CHECK(heardByB.waitFor(StoreSignal::OutboxChanged));
    }

} // TEST_SUITE
