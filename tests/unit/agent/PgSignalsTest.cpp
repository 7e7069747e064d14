// Instances sharing one PostgreSQL schema: LISTEN/NOTIFY signals and the workflow lead
// (agent/src/store/pg/PgSignals.hpp). PostgreSQL only (suite "postgres", label agent-pg); each
// case skips, saying so, when no test server was started.

#include "../../../agent/src/store/pg/PgSignals.hpp"

#include "PostgresSkip.hpp"
#include "PostgresTestDatabase.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace gp::agent;
using gp::agent::pg::Connection;
using gp::agent::pg::PgSignals;
using gp::test::ManualClock;
using gp::test::PostgresTestDatabase;

namespace {

constexpr auto kPatience = std::chrono::seconds(20);

/// Remembers every signal a store or PgSignals raised, and lets a test wait for one.
class SignalRecorder {
public:
    StoreSignalListener listener() {
        return [this](StoreSignal signal) {
            std::lock_guard lock(m_mutex);
            m_seen.push_back(signal);
            m_changed.notify_all();
        };
    }
    bool waitFor(StoreSignal signal, int times = 1) {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, kPatience, [&] { return countLocked(signal) >= times; });
    }
    int count(StoreSignal signal) {
        std::lock_guard lock(m_mutex);
        return countLocked(signal);
    }

private:
    int countLocked(StoreSignal signal) const {
        int found = 0;
        for (const StoreSignal seen : m_seen) {
            found += seen == signal ? 1 : 0;
        }
        return found;
    }
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<StoreSignal> m_seen;
};

/// Waits (up to kPatience) until `condition` holds, looking again whenever it is false.
template <typename Condition>
bool eventually(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

/// This schema's workflow lock in pg_locks (the server is shared with other tests' schemas).
std::string workflowLockRows(const std::string& select, bool granted) {
    return "SELECT " + select +
           " FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = " +
           std::to_string(PgSignals::kWorkflowLockClass) +
           " AND objid::bigint = (hashtext(current_schema())::bigint & 4294967295) AND " +
           (granted ? "granted" : "NOT granted");
}

/// How many backends hold this schema's workflow lock, as the server sees it.
std::string leadHolders(PostgresTestDatabase& database) {
    return database.scalar(workflowLockRows("count(*)", true));
}

std::string leadHolderPid(PostgresTestDatabase& database) {
    return database.scalar(workflowLockRows("pid", true));
}

/// How many backends wait for this schema's workflow lock.
std::string leadWaiters(PostgresTestDatabase& database) {
    return database.scalar(workflowLockRows("count(*)", false));
}

} // namespace

TEST_SUITE("postgres") {

    TEST_CASE("PgSignals: payloads name each signal once and read back, skipping unknown words") {
        const auto payload = PgSignals::payloadOf(
            {StoreSignal::MessageFinished, StoreSignal::OutboxChanged, StoreSignal::OutboxChanged});
        CHECK(payload == "outbox,finished");
        CHECK(PgSignals::signalsOf(payload) ==
              std::vector{StoreSignal::OutboxChanged, StoreSignal::MessageFinished});
        CHECK(PgSignals::signalsOf("inbox,someday,lead") ==
              std::vector{StoreSignal::InboxChanged, StoreSignal::WorkflowLeadTaken});
        CHECK(PgSignals::signalsOf("").empty());
    }

    TEST_CASE("PgSignals: of two instances on one schema exactly one leads, and the other takes "
              "over when it goes") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        SignalRecorder first;
        SignalRecorder second;
        auto a = std::make_unique<PgSignals>(database.url(), true);
        a->setListener(first.listener());
        REQUIRE(first.waitFor(StoreSignal::WorkflowLeadTaken));
        CHECK(a->leads());

        auto b = std::make_unique<PgSignals>(database.url(), true);
        b->setListener(second.listener());
        // b's lock wait is visible on the server: wait for it rather than for time to pass.
        REQUIRE(eventually([&] { return leadWaiters(database) == "1"; }));
        CHECK(a->leads());
        CHECK_FALSE(b->leads());
        CHECK(second.count(StoreSignal::WorkflowLeadTaken) == 0);
        CHECK(leadHolders(database) == "1");

        a.reset(); // closes its connection: the server gives the lock to b
        REQUIRE(second.waitFor(StoreSignal::WorkflowLeadTaken));
        CHECK(b->leads());
        CHECK(leadHolders(database) == "1");
    }

    TEST_CASE("PgSignals: a tool's signals never take the lead, even when no instance holds it") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        SignalRecorder tool;
        auto ctl = std::make_unique<PgSignals>(database.url(), false);
        ctl->setListener(tool.listener());
        SignalRecorder agent;
        PgSignals instance(database.url(), true);
        instance.setListener(agent.listener());
        // The agent takes the lead although the tool's store opened first: the tool never asked.
        REQUIRE(agent.waitFor(StoreSignal::WorkflowLeadTaken));
        CHECK(instance.leads());
        CHECK_FALSE(ctl->leads());
        CHECK(tool.count(StoreSignal::WorkflowLeadTaken) == 0);
        ctl.reset(); // and stopping it does not wait for a lock wait it never started
    }

    TEST_CASE("PgSignals: stopping while waiting for the lead does not hang") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        PgSignals leader(database.url(), true);
        REQUIRE(eventually([&] { return leader.leads(); }));
        {
            PgSignals waiting(database.url(), true);
            REQUIRE(eventually([&] { return leadWaiters(database) == "1"; }));
        } // the destructor must cancel the blocked pg_advisory_lock
        CHECK(eventually([&] { return leadWaiters(database) == "0"; }));
        CHECK(leader.leads());
    }

    TEST_CASE("PgSignals: a notification from another instance's writer is raised, one from this "
              "store's own writer is not") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        SignalRecorder recorder;
        PgSignals signals(database.url(), true);
        signals.setListener(recorder.listener());
        CHECK(signals.channel().rfind("gp_agent_", 0) == 0);

        Connection ownWriter(database.url());
        signals.setWriterPid(ownWriter.backendPid());
        ownWriter.exec("BEGIN");
        signals.notifyInTransaction(ownWriter, {StoreSignal::InboxChanged});
        ownWriter.exec("COMMIT");

        Connection otherWriter(database.url());
        otherWriter.exec("BEGIN");
        signals.notifyInTransaction(otherWriter,
                                    {StoreSignal::OutboxChanged, StoreSignal::MessageFinished});
        otherWriter.exec("COMMIT");

        REQUIRE(recorder.waitFor(StoreSignal::MessageFinished));
        CHECK(recorder.count(StoreSignal::OutboxChanged) == 1);
        // Notifications arrive in commit order: had the own writer's been raised, it would be here.
        CHECK(recorder.count(StoreSignal::InboxChanged) == 0);

        // A rolled-back transaction notifies nobody.
        otherWriter.exec("BEGIN");
        signals.notifyInTransaction(otherWriter, {StoreSignal::InboxChanged});
        otherWriter.exec("ROLLBACK");
        otherWriter.exec("BEGIN");
        signals.notifyInTransaction(otherWriter, {StoreSignal::OutboxChanged});
        otherWriter.exec("COMMIT");
        REQUIRE(recorder.waitFor(StoreSignal::OutboxChanged, 2));
        CHECK(recorder.count(StoreSignal::InboxChanged) == 0);
    }

    TEST_CASE("PgSignals: stores in other schemas of the same database are not heard") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        PostgresTestDatabase elsewhere;
        SignalRecorder recorder;
        PgSignals signals(database.url(), true);
        PgSignals otherSchema(elsewhere.url(), true);
        signals.setListener(recorder.listener());
        CHECK(signals.channel() != otherSchema.channel());

        Connection writer(elsewhere.url());
        writer.exec("BEGIN");
        otherSchema.notifyInTransaction(writer, {StoreSignal::InboxChanged});
        writer.exec("COMMIT");
        Connection writerHere(database.url());
        writerHere.exec("BEGIN");
        signals.notifyInTransaction(writerHere, {StoreSignal::OutboxChanged});
        writerHere.exec("COMMIT");

        REQUIRE(recorder.waitFor(StoreSignal::OutboxChanged));
        CHECK(recorder.count(StoreSignal::InboxChanged) == 0);
    }

    TEST_CASE("PgSignals: a dropped listener reconnects and wakes everything once") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        SignalRecorder recorder;
        PgSignals signals(database.url(), true);
        signals.setListener(recorder.listener());

        const std::string terminated = database.scalar(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'LISTEN " +
            signals.channel() + "'");
        REQUIRE(terminated == "1");
        REQUIRE(recorder.waitFor(StoreSignal::OutboxChanged));
        CHECK(recorder.waitFor(StoreSignal::InboxChanged));
        CHECK(recorder.waitFor(StoreSignal::MessageFinished));

        // And it listens again.
        Connection writer(database.url());
        writer.exec("BEGIN");
        signals.notifyInTransaction(writer, {StoreSignal::OutboxChanged});
        writer.exec("COMMIT");
        CHECK(recorder.waitFor(StoreSignal::OutboxChanged, 2));
    }

    TEST_CASE("PgSignals: losing the lead's connection stops leading, then contends again") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        SignalRecorder recorder;
        PgSignals signals(database.url(), true);
        signals.setListener(recorder.listener());
        REQUIRE(recorder.waitFor(StoreSignal::WorkflowLeadTaken));
        const std::string holder = leadHolderPid(database);
        REQUIRE_FALSE(holder.empty());

        // Another instance is waiting; the leader's session is killed, as a failover would.
        auto other = std::make_unique<PgSignals>(database.url(), true);
        REQUIRE(eventually([&] { return leadWaiters(database) == "1"; }));
        database.exec("SELECT pg_terminate_backend(" + holder + ")");
        REQUIRE(eventually([&] { return other->leads(); }));
        CHECK(eventually([&] { return !signals.leads(); }));
        CHECK(leadHolders(database) == "1");

        // The first contends again: once the other instance goes, it leads and is told so.
        REQUIRE(eventually([&] { return leadWaiters(database) == "1"; }));
        other.reset();
        CHECK(recorder.waitFor(StoreSignal::WorkflowLeadTaken, 2));
        CHECK(signals.leads());
    }

    TEST_CASE(
        "PgStore: of two stores on one schema one leads; destroying it makes the other lead") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        ManualClock clock;
        SignalRecorder atA;
        SignalRecorder atB;
        auto a = openPostgresStore(database.url(), "instance-a", clock);
        a->setSignalListener(atA.listener());
        REQUIRE(eventually([&] { return a->leadsWorkflows(); }));
        auto b = openPostgresStore(database.url(), "instance-b", clock);
        b->setSignalListener(atB.listener());
        REQUIRE(eventually([&] { return leadWaiters(database) == "1"; }));
        CHECK(a->leadsWorkflows());
        CHECK_FALSE(b->leadsWorkflows());
        CHECK(atB.count(StoreSignal::WorkflowLeadTaken) == 0);

        a.reset();
        REQUIRE(atB.waitFor(StoreSignal::WorkflowLeadTaken));
        CHECK(b->leadsWorkflows());
    }

    TEST_CASE("PgStore: a message enqueued through one store wakes the other's dispatcher, not its "
              "own") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        ManualClock clock;
        SignalRecorder atA;
        SignalRecorder atB;
        auto a = openPostgresStore(database.url(), "instance-a", clock);
        auto b = openPostgresStore(database.url(), "instance-b", clock);
        a->setSignalListener(atA.listener());
        b->setSignalListener(atB.listener());

        REQUIRE(
            a->enqueue(gp::test::makeMessage("A1B2C3D4-0000-4000-8000-000000000001", clock.now()),
                       AuditEvent{"api", "accepted", "A1B2C3D4-0000-4000-8000-000000000001", ""}));
        REQUIRE(atB.waitFor(StoreSignal::OutboxChanged));
        // b's own write: a hears it, b does not.
        REQUIRE(
            b->enqueue(gp::test::makeMessage("A1B2C3D4-0000-4000-8000-000000000002", clock.now()),
                       AuditEvent{"api", "accepted", "A1B2C3D4-0000-4000-8000-000000000002", ""}));
        REQUIRE(atA.waitFor(StoreSignal::OutboxChanged));
        // A third write, by a: b hears it after its own (one channel, commit order), had it
        // heard its own at all.
        REQUIRE(
            a->enqueue(gp::test::makeMessage("A1B2C3D4-0000-4000-8000-000000000003", clock.now()),
                       AuditEvent{"api", "accepted", "A1B2C3D4-0000-4000-8000-000000000003", ""}));
        REQUIRE(atB.waitFor(StoreSignal::OutboxChanged, 2));
        CHECK(atB.count(StoreSignal::OutboxChanged) == 2);
        CHECK(atA.count(StoreSignal::OutboxChanged) == 1);
    }

    TEST_CASE(
        "PgStore: an inbound message admitted by one store raises InboxChanged at the other") {
        GP_SKIP_WITHOUT_POSTGRES();
        PostgresTestDatabase database;
        gp::test::TempDir dir;
        ManualClock clock;
        SignalRecorder atB;
        auto a = openPostgresStore(database.url(), "instance-a", clock);
        auto b = openPostgresStore(database.url(), "instance-b", clock);
        b->setSignalListener(atB.listener());

        InboundMessage inbound;
        inbound.messageId = "B1B2C3D4-0000-4000-8000-000000000001";
        inbound.conversationId = "C1B2C3D4-0000-4000-8000-000000000001";
        inbound.service = "urn:nhs:names:services:gp2gp";
        inbound.interaction = "RCMR_IN010000UK05";
        inbound.fromPartyId = "B86041-9199122";
        inbound.contentType = "multipart/related";
        inbound.bodyFile = dir.file("inbound.body");
        inbound.bodyBytes = 4;
        inbound.receivedAt = clock.now();
        inbound.keepUntil = clock.now() + std::chrono::hours(1);
        inbound.ackContentType = "text/xml";
        inbound.ackBody = "<ack/>";
        const auto admitted =
            a->admitInbound(inbound, AuditEvent{"inbound", "received", inbound.messageId, ""});
        REQUIRE(admitted);
        CHECK(atB.waitFor(StoreSignal::InboxChanged));
        CHECK(atB.count(StoreSignal::OutboxChanged) == 0);
    }

} // TEST_SUITE
