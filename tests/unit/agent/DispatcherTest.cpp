#include "StoreTestSupport.hpp"

#include <gp/agent/dispatch/Dispatcher.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

using namespace gp::agent;
namespace hl7 = gp::messaging::hl7;
using gp::test::stateName;

namespace {

/// A fresh store in its own directory (or schema, in the agent-pg run), removed afterwards.
class TempStore {
public:
    explicit TempStore(const Clock& clock) : m_store(m_state.open(clock)) {}
    Store& operator*() { return *m_store; }
    Store* operator->() { return m_store.get(); }

private:
    // Declared first so that it outlives the store that has its file open.
    gp::test::TempDir m_dir;
    gp::test::TestStoreState m_state{m_dir.file("agent.db")};
    std::unique_ptr<Store> m_store;
};

/// What the scripted transports have seen; shared so a test can watch threads' transports.
struct Script {
    std::mutex mutex;
    std::condition_variable posted;
    std::deque<TransportResult> replies; // taken in order; when empty, `fallback`
    TransportResult fallback;
    std::vector<HttpRequest> requests;

    bool waitForRequests(std::size_t count) {
        std::unique_lock lock(mutex);
        return posted.wait_for(lock, std::chrono::seconds(20),
                               [&] { return requests.size() >= count; });
    }
};

class ScriptedTransport final : public HttpTransport {
public:
    explicit ScriptedTransport(std::shared_ptr<Script> script) : m_script(std::move(script)) {}

    TransportResult send(const HttpRequest& request) override {
        TransportResult reply;
        {
            std::lock_guard lock(m_script->mutex);
            m_script->requests.push_back(request);
            if (m_script->replies.empty()) {
                reply = m_script->fallback;
            } else {
                reply = m_script->replies.front();
                m_script->replies.pop_front();
            }
        }
        m_script->posted.notify_all();
        return reply;
    }

private:
    std::shared_ptr<Script> m_script;
};

TransportResult status(int code, std::string body = {},
                       std::vector<std::pair<std::string, std::string>> headers = {});

/// Holds every request until the test lets it go, and counts how many are on their way to each
/// host at once: shows what the dispatcher sends in parallel without any timing.
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> sentIds; // in the order sent
    std::map<std::string, int> inFlight;
    std::map<std::string, int> mostInFlight;
    std::set<std::string> released;
    int transportsMade = 0;

    static std::string hostOf(const std::string& url) {
        const auto start = url.find("://") + 3;
        return url.substr(start, url.find('/', start) - start);
    }

    template <typename Predicate>
    bool waitFor(Predicate predicate) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(20), [&] { return predicate(); });
    }

    void release(const std::string& messageId) {
        {
            std::lock_guard lock(mutex);
            released.insert(messageId);
        }
        changed.notify_all();
    }
};

class GatedTransport final : public HttpTransport {
public:
    explicit GatedTransport(std::shared_ptr<Gate> gate) : m_gate(std::move(gate)) {}

    TransportResult send(const HttpRequest& request) override {
        // The test's bodies are "<body of ID>": the id sits between "of " and ">".
        const auto from = request.body.find("<body of ") + 9;
        const std::string messageId =
            request.body.substr(from, request.body.find('>', from) - from);
        const std::string host = Gate::hostOf(request.url);
        std::unique_lock lock(m_gate->mutex);
        m_gate->sentIds.push_back(messageId);
        const int now = ++m_gate->inFlight[host];
        m_gate->mostInFlight[host] = std::max(m_gate->mostInFlight[host], now);
        m_gate->changed.notify_all();
        m_gate->changed.wait(lock, [&] { return m_gate->released.count(messageId) > 0; });
        --m_gate->inFlight[host];
        m_gate->changed.notify_all();
        return status(202);
    }

private:
    std::shared_ptr<Gate> m_gate;
};

/// Passes everything to a real store and counts nextDueTime() calls, which a dispatcher thread
/// makes just before it goes to sleep: the test knows when every thread is idle.
class IdleWatchingStore final : public Store {
public:
    explicit IdleWatchingStore(Store& inner) : m_inner(inner) {}

    bool waitForIdleCalls(int count) {
        std::unique_lock lock(m_mutex);
        return m_called.wait_for(lock, std::chrono::seconds(20),
                                 [&] { return m_idleCalls >= count; });
    }

    gp::Status enqueue(const OutboundMessage& message, const AuditEvent& event) override {
        return m_inner.enqueue(message, event);
    }
    gp::Result<std::vector<ClaimedMessage>> claimDue(std::string_view owner, Milliseconds lease,
                                                     int limit) override {
        return m_inner.claimDue(owner, lease, limit);
    }
    gp::Status recordAcked(const std::string& messageId, std::string_view owner,
                           const std::string& detail) override {
        return m_inner.recordAcked(messageId, owner, detail);
    }
    gp::Status recordRetry(const std::string& messageId, std::string_view owner,
                           TimePoint nextAttemptAt, const MessageError& error,
                           bool transportError) override {
        return m_inner.recordRetry(messageId, owner, nextAttemptAt, error, transportError);
    }
    gp::Status recordFailed(const std::string& messageId, std::string_view owner,
                            const MessageError& error) override {
        return m_inner.recordFailed(messageId, owner, error);
    }
    gp::Status recordExpired(const std::string& messageId, std::string_view owner,
                             const std::string& reason) override {
        return m_inner.recordExpired(messageId, owner, reason);
    }
    gp::Status recordAckedWithReply(const std::string& messageId, std::string_view owner,
                                    const std::string& detail, const StoredReply& reply) override {
        return m_inner.recordAckedWithReply(messageId, owner, detail, reply);
    }
    gp::Status recordFailedWithReply(const std::string& messageId, std::string_view owner,
                                     const MessageError& error, const StoredReply& reply) override {
        return m_inner.recordFailedWithReply(messageId, owner, error, reply);
    }
    gp::Status recordDeferred(const std::string& messageId, std::string_view owner,
                              TimePoint nextAttemptAt, const std::string& pollUrl) override {
        return m_inner.recordDeferred(messageId, owner, nextAttemptAt, pollUrl);
    }
    std::optional<StoredReply> replyOf(const std::string& messageId) override {
        return m_inner.replyOf(messageId);
    }
    gp::Result<int> releaseAllLeases() override { return m_inner.releaseAllLeases(); }
    std::optional<TimePoint> nextDueTime() override {
        auto due = m_inner.nextDueTime();
        {
            std::lock_guard lock(m_mutex);
            ++m_idleCalls;
        }
        m_called.notify_all();
        return due;
    }
    std::optional<MessageRecord> findMessage(const std::string& messageId) override {
        return m_inner.findMessage(messageId);
    }
    std::vector<AuditRow> auditForMessage(const std::string& messageId) override {
        return m_inner.auditForMessage(messageId);
    }
    StatusSummary status() override { return m_inner.status(); }
    std::vector<AuditRow> auditAfter(std::int64_t afterSeq, int limit) override {
        return m_inner.auditAfter(afterSeq, limit);
    }
    AuditVerification verifyAudit() override { return m_inner.verifyAudit(); }
    gp::Status recordAuditEvent(const AuditEvent& event) override {
        return m_inner.recordAuditEvent(event);
    }
    std::vector<MessageRecord> listMessages(const std::vector<MessageState>& states, int limit,
                                            const std::vector<std::string>& practices) override {
        return m_inner.listMessages(states, limit, practices);
    }
    gp::Status requeueMessage(const std::string& messageId, const AuditEvent& event) override {
        return m_inner.requeueMessage(messageId, event);
    }
    gp::Status acknowledgeMessage(const std::string& messageId, const AuditEvent& event) override {
        return m_inner.acknowledgeMessage(messageId, event);
    }
    gp::Status setDispatchPaused(bool paused, const AuditEvent& event) override {
        return m_inner.setDispatchPaused(paused, event);
    }
    std::vector<AuditRow> latestAudit(int limit) override { return m_inner.latestAudit(limit); }

    // Inbox and conversations: not what this wrapper watches; passed straight through.
    gp::Result<InboundAdmission> admitInbound(const InboundMessage& message,
                                              const AuditEvent& event) override {
        return m_inner.admitInbound(message, event);
    }
    gp::Result<std::vector<InboundRecord>> pendingInbound(int limit) override {
        return m_inner.pendingInbound(limit);
    }
    std::optional<InboundRecord> findInbound(const std::string& messageId) override {
        return m_inner.findInbound(messageId);
    }
    gp::Status markInboundFailed(const std::string& messageId, const std::string& error) override {
        return m_inner.markInboundFailed(messageId, error);
    }
    gp::Result<int> purgeExpiredInbound() override { return m_inner.purgeExpiredInbound(); }
    std::optional<Conversation> findConversation(const std::string& id) override {
        return m_inner.findConversation(id);
    }
    std::vector<Conversation> listConversations(const std::string& state, int limit) override {
        return m_inner.listConversations(state, limit);
    }
    std::vector<ConversationPart> partsOf(const std::string& id) override {
        return m_inner.partsOf(id);
    }
    std::vector<MessageRecord> messagesOf(const std::string& id) override {
        return m_inner.messagesOf(id);
    }
    std::vector<Conversation> conversationsDue(TimePoint now) override {
        return m_inner.conversationsDue(now);
    }
    std::optional<TimePoint> nextConversationDeadline() override {
        return m_inner.nextConversationDeadline();
    }
    gp::Status applyStep(const WorkflowStep& step) override { return m_inner.applyStep(step); }
    // EPS prescriptions
    gp::Status recordPrescription(const EpsPrescription& prescription,
                                  const std::vector<EpsItem>& items, const OutboundMessage& message,
                                  const AuditEvent& event) override {
        return m_inner.recordPrescription(prescription, items, message, event);
    }
    gp::Status recordCancellation(const EpsItem& item, const std::string& nhsNumber,
                                  const OutboundMessage& message,
                                  const AuditEvent& event) override {
        return m_inner.recordCancellation(item, nhsNumber, message, event);
    }
    std::optional<EpsPrescription> findPrescription(const std::string& id) override {
        return m_inner.findPrescription(id);
    }
    std::vector<EpsItem> itemsOf(const std::string& id) override { return m_inner.itemsOf(id); }
    std::vector<EpsItem> itemsByMessage(const std::string& id) override {
        return m_inner.itemsByMessage(id);
    }
    gp::Status updateItems(const std::vector<EpsItem>& items, const AuditEvent& event) override {
        return m_inner.updateItems(items, event);
    }
    std::vector<MessageRecord> epsMessagesOf(const std::string& id) override {
        return m_inner.epsMessagesOf(id);
    }
    // e-RS requests
    gp::Status applyErsStep(const ErsWorkflowStep& step) override {
        return m_inner.applyErsStep(step);
    }
    std::optional<ErsRequest> findErsRequest(const std::string& id) override {
        return m_inner.findErsRequest(id);
    }
    std::optional<ErsRequest> findErsRequestByUbrn(const std::string& ubrn) override {
        return m_inner.findErsRequestByUbrn(ubrn);
    }
    std::vector<ErsStepRecord> ersStepsOf(const std::string& id) override {
        return m_inner.ersStepsOf(id);
    }
    std::vector<ErsRequest> activeErsRequests(int limit) override {
        return m_inner.activeErsRequests(limit);
    }
    void setSignalListener(StoreSignalListener listener) override {
        m_inner.setSignalListener(std::move(listener));
    }
    bool leadsWorkflows() override { return m_inner.leadsWorkflows(); }

private:
    Store& m_inner;
    std::mutex m_mutex;
    std::condition_variable m_called;
    int m_idleCalls = 0;
};

TransportResult status(int code, std::string body,
                       std::vector<std::pair<std::string, std::string>> headers) {
    TransportResult result;
    result.response = HttpResponse{code, std::move(headers), std::move(body)};
    return result;
}

TransportResult applicationAck(hl7::AckTypeCode type, std::vector<hl7::AckDetail> details) {
    hl7::ApplicationAckSpec spec;
    spec.messageId = "0F4F2B5C-3E0A-4E8B-9C61-2D1C9E0A7B11";
    spec.creationTime = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    spec.typeCode = type;
    spec.messageRef = "7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";
    spec.details = std::move(details);
    spec.fromAsid = "990101234567";
    spec.toAsid = "200000001234";
    return status(200, hl7::buildApplicationAck(spec), {{"Content-Type", "text/xml"}});
}

OutboundMessage outbound(const Clock& clock, const std::string& messageId,
                         Milliseconds persist = std::chrono::minutes(5), int maxAttempts = 0) {
    OutboundMessage message;
    message.messageId = messageId;
    message.conversationId = "3B2E7D44-9A0C-4C1F-8E55-6D7A2B9C0E12";
    message.interaction = "PORX_IN020101SM31";
    message.service = "urn:nhs:names:services:mm";
    message.businessId = "24F5DA-A83008-7EFE6Z";
    message.endpoint = "https://spine.test/reliablemessaging/reliablerequest";
    message.soapAction = "urn:nhs:names:services:mm/PORX_IN020101SM31";
    message.contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"; type=text/xml; "
                          "start=ebXMLHeader@spine.nhs.uk";
    message.body = "----=_MIME-Boundary\r\n<body of " + messageId + ">\r\n----=_MIME-Boundary--";
    message.createdAt = clock.now();
    message.expiresAt = clock.now() + persist;
    message.maxAttempts = maxAttempts;
    return message;
}

void enqueue(Store& store, const OutboundMessage& message) {
    const gp::Status stored =
        store.enqueue(message, AuditEvent{"api", "accepted", message.messageId, ""});
    REQUIRE(stored.ok());
}

/// The dispatcher under test with its collaborators, on a manual clock.
struct Fixture {
    gp::test::ManualClock clock;
    gp::test::SeededRandom random;
    TempStore store{clock};
    std::shared_ptr<Script> script = std::make_shared<Script>();
    ScriptedTransport transport{script};
    Dispatcher dispatcher{*store,
                          clock,
                          random,
                          RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
                          [s = script] { return std::make_unique<ScriptedTransport>(s); },
                          DispatcherSettings{1, 16, Milliseconds(120000), "test-instance"}};

    Fixture() { script->fallback = status(202); }

    MessageRecord record(const std::string& messageId) {
        const auto found = store->findMessage(messageId);
        REQUIRE(found);
        return *found;
    }

    /// Moves the clock to the message's next attempt time.
    void advanceToNextAttempt(const std::string& messageId) {
        const MessageRecord waiting = record(messageId);
        REQUIRE(waiting.nextAttemptAt);
        clock.set(*waiting.nextAttemptAt);
    }
};

const std::string kMessageId = "7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("Dispatcher retries 503 with the same bytes until the AA arrives" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId));
        f.script->replies = {status(503), status(503), applicationAck(hl7::AckTypeCode::AA, {})};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        MessageRecord after = f.record(kMessageId);
        CHECK(stateName(after.state) == "retry-wait");
        CHECK(after.attempts == 1);
        REQUIRE(after.lastError);
        CHECK(after.lastError->code == "http-503");
        REQUIRE(after.nextAttemptAt);
        CHECK(*after.nextAttemptAt >= f.clock.now() + Milliseconds(1000));

        // Not due yet: nothing goes out.
        CHECK(f.dispatcher.runOnce(f.transport) == 0);

        f.advanceToNextAttempt(kMessageId);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(stateName(f.record(kMessageId).state) == "retry-wait");
        CHECK(f.record(kMessageId).attempts == 2);

        f.advanceToNextAttempt(kMessageId);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        after = f.record(kMessageId);
        CHECK(stateName(after.state) == "acked");
        CHECK(after.attempts == 3);
        CHECK(after.ackedAt);

        REQUIRE(f.script->requests.size() == 3);
        for (const HttpRequest& request : f.script->requests) {
            CHECK(request.url == "https://spine.test/reliablemessaging/reliablerequest");
            CHECK(request.body == f.script->requests.front().body);
            CHECK(request.body.find(kMessageId) != std::string::npos);
            CHECK(request.headers ==
                  std::vector<std::pair<std::string, std::string>>{
                      {"SOAPAction", "urn:nhs:names:services:mm/PORX_IN020101SM31"},
                      {"Content-Type", outbound(f.clock, kMessageId).contentType}});
        }

        // Acked is final.
        f.clock.advance(std::chrono::minutes(1));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.script->requests.size() == 3);
    }

    TEST_CASE("Dispatcher fails a message on AE 0002 and never sends it again" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId));
        f.script->replies = {applicationAck(
            hl7::AckTypeCode::AE,
            {{"0002", "Duplicate prescription ID exists", "2.16.840.1.113883.2.1.3.2.4.17.32"}})};

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        const MessageRecord after = f.record(kMessageId);
        CHECK(stateName(after.state) == "failed");
        REQUIRE(after.lastError);
        CHECK(after.lastError->code == "0002");
        CHECK(after.lastError->text == "Duplicate prescription ID exists");

        f.clock.advance(std::chrono::minutes(1));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.script->requests.size() == 1);
    }

    TEST_CASE("Dispatcher records the ack detail in the audit trail" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId));
        CHECK(f.dispatcher.runOnce(f.transport) == 1); // fallback: 202 with no body
        CHECK(stateName(f.record(kMessageId).state) == "acked");
        bool found = false;
        for (const AuditRow& row : f.store->auditForMessage(kMessageId)) {
            if (row.event == "acked") {
                found = true;
                CHECK(row.detail.find("HTTP 202") != std::string::npos);
            }
        }
        CHECK(found);
    }

    TEST_CASE("Dispatcher stops sending a message once its persist duration has passed" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId, std::chrono::seconds(30)));
        f.script->fallback = status(503);

        int rounds = 0;
        while (stateName(f.record(kMessageId).state) != "expired" && rounds < 100) {
            ++rounds;
            f.dispatcher.runOnce(f.transport);
            const MessageRecord current = f.record(kMessageId);
            if (stateName(current.state) == "retry-wait") {
                REQUIRE(current.nextAttemptAt);
                f.clock.set(*current.nextAttemptAt);
            } else if (stateName(current.state) != "expired") {
                f.clock.set(current.expiresAt + Milliseconds(1));
            }
        }
        CHECK(stateName(f.record(kMessageId).state) == "expired");
        const std::size_t sent = f.script->requests.size();
        CHECK(sent >= 2); // it was retried before it ran out of time

        f.clock.advance(std::chrono::hours(1));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.script->requests.size() == sent);
        CHECK(stateName(f.record(kMessageId).state) == "expired");
    }

    TEST_CASE("Dispatcher expires a claimed message whose expiry has passed instead of sending it" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId, Milliseconds(0)));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.script->requests.empty());
        CHECK(stateName(f.record(kMessageId).state) == "expired");
    }

    TEST_CASE("Dispatcher waits at least as long as Retry-After asks" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId, std::chrono::minutes(30)));
        f.script->replies = {status(503, "", {{"Retry-After", "120"}})};

        const TimePoint sentAt = f.clock.now();
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        const MessageRecord after = f.record(kMessageId);
        CHECK(stateName(after.state) == "retry-wait");
        REQUIRE(after.nextAttemptAt);
        CHECK(*after.nextAttemptAt >= sentAt + std::chrono::seconds(120));

        f.clock.set(sentAt + std::chrono::seconds(119));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        f.clock.set(*after.nextAttemptAt);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(stateName(f.record(kMessageId).state) == "acked");
    }

    TEST_CASE("Dispatcher fails a message with retries-exhausted after maxAttempts" *
              doctest::test_suite("store-contract")) {
        Fixture f;
        enqueue(*f.store, outbound(f.clock, kMessageId, std::chrono::minutes(30), 2));
        f.script->fallback = status(503);

        CHECK(f.dispatcher.runOnce(f.transport) == 1);
        CHECK(stateName(f.record(kMessageId).state) == "retry-wait");
        f.advanceToNextAttempt(kMessageId);
        CHECK(f.dispatcher.runOnce(f.transport) == 1);

        const MessageRecord after = f.record(kMessageId);
        CHECK(stateName(after.state) == "failed");
        CHECK(after.attempts == 2);
        REQUIRE(after.lastError);
        CHECK(after.lastError->code == "retries-exhausted");
        CHECK(after.lastError->text.find("http-503") != std::string::npos);

        f.clock.advance(std::chrono::minutes(5));
        CHECK(f.dispatcher.runOnce(f.transport) == 0);
        CHECK(f.script->requests.size() == 2);
    }

    TEST_CASE("Dispatcher threads send work enqueued after start once notified, and stop promptly" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore realStore(clock);
        IdleWatchingStore store(*realStore);
        auto script = std::make_shared<Script>();
        script->fallback = status(202);
        Dispatcher dispatcher(
            store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
            [script] { return std::make_unique<ScriptedTransport>(script); },
            DispatcherSettings{2, 16, Milliseconds(120000), "threaded-instance"});
        dispatcher.start();

        // The first claim found nothing due, so the senders sleep without a deadline: only
        // notify() can wake them, so without it this message would never be sent.
        REQUIRE(store.waitForIdleCalls(1));
        enqueue(store, outbound(clock, kMessageId));
        dispatcher.notify();
        REQUIRE(script->waitForRequests(1));

        // The claim that found it found no more and asked for the next due time: asleep again.
        REQUIRE(store.waitForIdleCalls(2));
        const std::string second = "C1D2E3F4-0A1B-4C2D-8E3F-405162738495";
        enqueue(store, outbound(clock, second));
        dispatcher.notify();
        REQUIRE(script->waitForRequests(2));

        const auto stopping = std::chrono::steady_clock::now();
        dispatcher.stop();
        CHECK(std::chrono::steady_clock::now() - stopping < std::chrono::seconds(5));

        {
            std::lock_guard lock(script->mutex);
            REQUIRE(script->requests.size() == 2);
            CHECK(script->requests[0].body.find(kMessageId) != std::string::npos);
            CHECK(script->requests[1].body.find(second) != std::string::npos);
        }
        // stop() lets an attempt in flight finish recording, so both are acked by now.
        CHECK(stateName(store.findMessage(kMessageId)->state) == "acked");
        CHECK(stateName(store.findMessage(second)->state) == "acked");
    }

    TEST_CASE("Dispatcher stop returns promptly while threads wait for a far-off retry" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore store(clock);
        auto script = std::make_shared<Script>();
        script->fallback = status(503, "", {{"Retry-After", "3600"}});
        Dispatcher dispatcher(
            *store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
            [script] { return std::make_unique<ScriptedTransport>(script); },
            DispatcherSettings{1, 16, Milliseconds(120000), "threaded-instance"});
        enqueue(*store, outbound(clock, kMessageId, std::chrono::hours(4)));
        dispatcher.start();
        REQUIRE(script->waitForRequests(1));

        const auto stopping = std::chrono::steady_clock::now();
        dispatcher.stop();
        CHECK(std::chrono::steady_clock::now() - stopping < std::chrono::seconds(5));
        CHECK(stateName(store->findMessage(kMessageId)->state) == "retry-wait");
        std::lock_guard lock(script->mutex);
        CHECK(script->requests.size() == 1);
    }

    TEST_CASE("Dispatcher sends to one endpoint on at most connectionsPerEndpoint connections at "
              "once, and to another endpoint beside them" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore realStore(clock);
        IdleWatchingStore store(*realStore);
        auto gate = std::make_shared<Gate>();
        DispatcherSettings settings{4, 16, Milliseconds(120000), "capped-instance"};
        settings.connectionsPerEndpoint = 2;
        Dispatcher dispatcher(
            store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
            [gate] { return std::make_unique<GatedTransport>(gate); }, settings);

        const std::vector<std::string> spine = {"A0000000-0000-4000-8000-000000000001",
                                                "A0000000-0000-4000-8000-000000000002",
                                                "A0000000-0000-4000-8000-000000000003"};
        const std::string other = "B0000000-0000-4000-8000-000000000001";
        for (const auto& id : spine) {
            enqueue(store, outbound(clock, id));
        }
        OutboundMessage elsewhere = outbound(clock, other);
        elsewhere.endpoint = "https://other.test/reliablemessaging/reliablerequest";
        enqueue(store, elsewhere);
        dispatcher.start(); // the first claim takes all four, one for each sender

        // Two to spine.test (its cap) and the one to other.test are held at the gate together.
        REQUIRE(gate->waitFor([&] {
            return gate->inFlight["spine.test"] == 2 && gate->inFlight["other.test"] == 1;
        }));
        // Once other.test's answer is recorded its sender claims again and finds nothing more:
        // the fourth sender had all that time and must still not have sent the third message.
        gate->release(other);
        REQUIRE(store.waitForIdleCalls(1));
        {
            std::lock_guard lock(gate->mutex);
            CHECK(gate->sentIds.size() == 3);
            CHECK(gate->inFlight["spine.test"] == 2);
        }
        // An answer frees a slot, and the waiting message goes at once.
        gate->release(spine[0]);
        gate->release(spine[1]);
        REQUIRE(gate->waitFor([&] { return gate->sentIds.size() == 4; }));
        gate->release(spine[2]);
        dispatcher.stop(); // lets the last attempt finish recording

        CHECK(gate->mostInFlight["spine.test"] == 2);
        CHECK(gate->mostInFlight["other.test"] == 1);
        std::set<std::string> distinct(gate->sentIds.begin(), gate->sentIds.end());
        CHECK(distinct.size() == gate->sentIds.size()); // none sent twice
        for (const auto& id : spine) {
            CHECK(stateName(store.findMessage(id)->state) == "acked");
        }
        CHECK(stateName(store.findMessage(other)->state) == "acked");
    }

    TEST_CASE("Dispatcher senders keep several messages on their way at once" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore store(clock);
        auto gate = std::make_shared<Gate>();
        Dispatcher dispatcher(
            *store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
            [gate] { return std::make_unique<GatedTransport>(gate); },
            DispatcherSettings{4, 16, Milliseconds(120000), "parallel-instance"});
        std::vector<std::string> ids;
        for (int i = 1; i <= 6; ++i) {
            ids.push_back("C0000000-0000-4000-8000-00000000000" + std::to_string(i));
            enqueue(*store, outbound(clock, ids.back()));
        }
        dispatcher.start();

        // Sent one after another, the second would wait for the first's release, which comes
        // only once four are held at the gate together.
        REQUIRE(gate->waitFor([&] { return gate->inFlight["spine.test"] == 4; }));
        for (const auto& id : ids) {
            gate->release(id);
        }
        REQUIRE(gate->waitFor([&] { return gate->sentIds.size() == 6; }));
        dispatcher.stop(); // lets the last attempts finish recording

        CHECK(gate->mostInFlight["spine.test"] == 4);
        std::set<std::string> distinct(gate->sentIds.begin(), gate->sentIds.end());
        CHECK(distinct.size() == 6);
        for (const auto& id : ids) {
            CHECK(stateName(store->findMessage(id)->state) == "acked");
        }
    }

    TEST_CASE("Dispatcher passes one kept-alive transport from sender to sender" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore store(clock);
        auto script = std::make_shared<Script>();
        script->fallback = status(202);
        std::atomic<int> made{0};
        DispatcherSettings settings{4, 16, Milliseconds(120000), "pooled-instance"};
        settings.connectionsPerEndpoint = 1;
        Dispatcher dispatcher(
            *store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(1000), Milliseconds(60000)}),
            [script, &made] {
                ++made;
                return std::make_unique<ScriptedTransport>(script);
            },
            settings);
        std::vector<std::string> ids;
        for (int i = 1; i <= 8; ++i) {
            ids.push_back("D0000000-0000-4000-8000-00000000000" + std::to_string(i));
            enqueue(*store, outbound(clock, ids.back()));
        }
        dispatcher.start();
        REQUIRE(script->waitForRequests(8));
        dispatcher.stop();

        // Four senders, one connection to the endpoint: the transport is handed back as soon as
        // the reply is in, so the next sender finds it idle instead of opening another.
        CHECK(made == 1);
        for (const auto& id : ids) {
            CHECK(stateName(store->findMessage(id)->state) == "acked");
        }
    }

    TEST_CASE("Dispatcher senders wake by themselves when a retry falls due" *
              doctest::test_suite("store-contract")) {
        SystemClock clock;
        gp::test::SeededRandom random;
        TempStore store(clock);
        auto script = std::make_shared<Script>();
        script->replies = {status(503)};
        script->fallback = status(202);
        // Backoff of a few milliseconds on the real clock: no notify() comes for the retry, so
        // only the sender keeping the store's next due time can send it.
        Dispatcher dispatcher(
            *store, clock, random,
            RetryPolicy(RetryPolicySettings{Milliseconds(5), Milliseconds(10)}),
            [script] { return std::make_unique<ScriptedTransport>(script); },
            DispatcherSettings{4, 16, Milliseconds(120000), "timed-instance"});
        enqueue(*store, outbound(clock, kMessageId));
        dispatcher.start();
        REQUIRE(script->waitForRequests(2));
        dispatcher.stop();
        CHECK(stateName(store->findMessage(kMessageId)->state) == "acked");
        CHECK(store->findMessage(kMessageId)->attempts == 2);
    }

} // TEST_SUITE
