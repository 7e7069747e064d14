#pragma once

#include "PgConnection.hpp"

#include <gp/agent/store/Store.hpp>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gp::agent::pg {

class PgSignals;

/// The PostgreSQL engine behind Store, for hosted fleets: several gp-agent instances share one
/// database (docs/architecture.md, "Hosted fleets"). The schema means what SQLite's means (same
/// tables, columns, times as integer milliseconds, same migration numbers); the differences:
///
/// - Claims lock the rows they take with FOR UPDATE SKIP LOCKED, so two instances claiming at
///   once never take the same message, and neither waits for the other; the lease columns say
///   who holds a message in sending, and a lapsed lease is claimable by any instance.
/// - Each instance writes its own audit chain (AuditRow::chain = store.instance): one writer per
///   chain, so instances never wait on each other to append. The instance's name is held by a
///   session advisory lock for as long as the store is open: a second live process with the same
///   name is refused, so a chain never forks.
/// - Writes share commits as in SqliteStore (group commit): one write connection, each write in
///   its own SAVEPOINT of the batch's transaction, one COMMIT per batch.
/// - Other instances' changes arrive as StoreSignals through LISTEN/NOTIFY (PgSignals), and one
///   instance at a time leads the workflows (a second advisory lock).
///
/// Advisory locks, all in the two-key form and scoped to the schema so that stores in other
/// schemas of one database never meet: (hashtext(current_schema()), hashtext(<what>)) with
/// <what> 'gp-agent instance ' || name (session, the instance's chain), 'gp-agent migrations'
/// (transaction, PgMigrations.cpp), 'gp-agent dispatch-paused' (transaction, PgOperations.cpp);
/// PgSignals' workflow lead is (kWorkflowLockClass, hashtext(current_schema())).
class PgStore final : public Store {
public:
    /// Throws std::runtime_error when the server cannot be reached, the schema is newer than
    /// this build, or another live process holds `instance`.
    /// `contendsForWorkflows` false: a tool's store, which never takes the workflow lead.
    PgStore(const std::string& url, std::string instance, const Clock& clock,
            bool contendsForWorkflows = true);
    ~PgStore() override;

    // Outbox and audit (PgStore.cpp)
    Status enqueue(const OutboundMessage& message, const AuditEvent& event) override;
    Result<std::vector<ClaimedMessage>> claimDue(std::string_view owner, Milliseconds lease,
                                                 int limit) override;
    Status recordAcked(const std::string& messageId, std::string_view owner,
                       const std::string& detail) override;
    Status recordRetry(const std::string& messageId, std::string_view owner,
                       TimePoint nextAttemptAt, const MessageError& error,
                       bool transportError) override;
    Status recordFailed(const std::string& messageId, std::string_view owner,
                        const MessageError& error) override;
    Status recordExpired(const std::string& messageId, std::string_view owner,
                         const std::string& reason) override;
    Status recordAckedWithReply(const std::string& messageId, std::string_view owner,
                                const std::string& detail, const StoredReply& reply) override;
    Status recordFailedWithReply(const std::string& messageId, std::string_view owner,
                                 const MessageError& error, const StoredReply& reply) override;
    Status recordDeferred(const std::string& messageId, std::string_view owner,
                          TimePoint nextAttemptAt, const std::string& pollUrl) override;
    std::optional<StoredReply> replyOf(const std::string& messageId) override;
    Result<int> releaseAllLeases() override;
    std::optional<TimePoint> nextDueTime() override;
    std::optional<MessageRecord> findMessage(const std::string& messageId) override;
    std::vector<AuditRow> auditForMessage(const std::string& messageId) override;
    StatusSummary status() override;
    std::vector<AuditRow> auditAfter(std::int64_t afterSeq, int limit) override;
    AuditVerification verifyAudit() override;
    Status recordAuditEvent(const AuditEvent& event) override;

    // Staff actions (PgOperations.cpp)
    std::vector<MessageRecord> listMessages(const std::vector<MessageState>& states, int limit,
                                            const std::vector<std::string>& practices) override;
    Status requeueMessage(const std::string& messageId, const AuditEvent& event) override;
    Status acknowledgeMessage(const std::string& messageId, const AuditEvent& event) override;
    Status setDispatchPaused(bool paused, const AuditEvent& event) override;
    std::vector<AuditRow> latestAudit(int limit) override;

    // Inbox (PgInbox.cpp)
    Result<InboundAdmission> admitInbound(const InboundMessage& message,
                                          const AuditEvent& event) override;
    Result<std::vector<InboundRecord>> pendingInbound(int limit) override;
    std::optional<InboundRecord> findInbound(const std::string& messageId) override;
    Status markInboundFailed(const std::string& messageId, const std::string& error) override;
    Result<int> purgeExpiredInbound() override;

    // GP2GP transfers (PgConversations.cpp)
    std::optional<Conversation> findConversation(const std::string& conversationId) override;
    std::vector<Conversation> listConversations(const std::string& state, int limit) override;
    std::vector<ConversationPart> partsOf(const std::string& conversationId) override;
    std::vector<MessageRecord> messagesOf(const std::string& conversationId) override;
    std::vector<Conversation> conversationsDue(TimePoint now) override;
    std::optional<TimePoint> nextConversationDeadline() override;
    Status applyStep(const WorkflowStep& step) override;

    // EPS prescriptions (PgEps.cpp)
    Status recordPrescription(const EpsPrescription& prescription,
                              const std::vector<EpsItem>& items, const OutboundMessage& message,
                              const AuditEvent& event) override;
    Status recordCancellation(const EpsItem& item, const std::string& nhsNumber,
                              const OutboundMessage& message, const AuditEvent& event) override;
    std::optional<EpsPrescription> findPrescription(const std::string& prescriptionId) override;
    std::vector<EpsItem> itemsOf(const std::string& prescriptionId) override;
    std::vector<EpsItem> itemsByMessage(const std::string& messageId) override;
    Status updateItems(const std::vector<EpsItem>& items, const AuditEvent& event) override;
    std::vector<MessageRecord> epsMessagesOf(const std::string& prescriptionId) override;

    // e-RS requests (PgErs.cpp)
    Status applyErsStep(const ErsWorkflowStep& step) override;
    std::optional<ErsRequest> findErsRequest(const std::string& requestId) override;
    std::optional<ErsRequest> findErsRequestByUbrn(const std::string& ubrn) override;
    std::vector<ErsStepRecord> ersStepsOf(const std::string& requestId) override;
    std::vector<ErsRequest> activeErsRequests(int limit) override;

    // Instances sharing the store (PgSignals.cpp)
    void setSignalListener(StoreSignalListener listener) override;
    bool leadsWorkflows() override;

    const std::string& instance() const { return m_instance; }

private:
    struct LeaseCheck {
        int attempts = 0;
        TimePoint expiresAt;
    };
    struct FileToDelete {
        std::filesystem::path file;
        std::string owner; // "message <id>", for the log
    };
    /// One caller's write, waiting in the queue or running in a batch (as in SqliteStore).
    struct QueuedWrite {
        std::string_view operation;
        bool (*run)(void* body) = nullptr;
        void* body = nullptr;
        std::optional<Error> failed;
        std::exception_ptr thrown;
        bool done = false;
    };

    /// Queues `body` as one write and returns once the batch holding it committed (or failed).
    /// `body()` returns a Result<T>; it runs on the write connection (writer()) inside its own
    /// savepoint of the batch's transaction, and its changes are kept only if it succeeds. A
    /// PgError thrown in it becomes a failed Result. Files queued with deleteAfterCommit are
    /// removed after the commit; signals queued with signalOnCommit are sent with it.
    template <typename T, typename Body>
    Result<T> write(std::string_view operation, Body&& body);
    /// Runs `body(connection)` on a read connection in one read-only snapshot; `fallback` (logged)
    /// when it throws PgError.
    template <typename T, typename Body>
    T read(std::string_view operation, T fallback, Body&& body);

    // ---- the write path (PgStore.cpp) ----
    void submitWrite(QueuedWrite& write);
    bool writeBatch(const std::vector<QueuedWrite*>& batch);
    /// The write connection; only inside a write body (or the constructor).
    Connection& writer() { return *m_writer; }
    /// A read connection for read(), taken from a small pool (connected lazily) and given back
    /// by the destructor, unless it was lost (then it is dropped and a new one made next time).
    class ReaderLease {
    public:
        ReaderLease(PgStore& store, std::unique_ptr<Connection> connection)
            : m_store(store), m_connection(std::move(connection)) {}
        ~ReaderLease() { m_store.giveBackReader(std::move(m_connection), m_lost); }
        ReaderLease(const ReaderLease&) = delete;
        ReaderLease& operator=(const ReaderLease&) = delete;
        Connection& connection() { return *m_connection; }
        void markLost() { m_lost = true; }

    private:
        PgStore& m_store;
        std::unique_ptr<Connection> m_connection;
        bool m_lost = false;
    };
    /// Throws PgError when no connection can be made.
    std::unique_ptr<ReaderLease> takeReader();
    void giveBackReader(std::unique_ptr<Connection> connection, bool lost);
    /// Logs a failed read (once per operation and error, without patient data: libpq's message
    /// names the statement, never its parameters).
    static void logReadFailure(std::string_view operation, const PgError& error);

    // ---- helpers shared by the Pg*.cpp files; call only inside a write body ----
    /// Appends one row to this instance's audit chain (seq, prev_hash, hash as AuditChain.hpp).
    void appendAudit(TimePoint at, std::string_view actor, std::string_view event,
                     std::string_view messageId, std::string_view detail,
                     std::string_view nhsNumber = {});
    /// Inserts a queued message (due at `dueAt`), failing "messageId" if it exists; queues an
    /// OutboxChanged signal.
    Status insertOutbound(const OutboundMessage& message, TimePoint dueAt, TimePoint now);
    Result<LeaseCheck> checkLease(const std::string& messageId, std::string_view owner);
    void deleteAfterCommit(std::filesystem::path file, std::string owner);
    /// Sends `signal` to every instance (pg_notify) when the running write commits.
    void signalOnCommit(StoreSignal signal);

    // ---- PgStore.cpp's own ----
    /// Connects a writer and takes this instance's lock on it (PgError when either fails; the
    /// lock refused is reported as a lost connection, so the next batch tries again).
    std::unique_ptr<Connection> connectWriter();
    void runInSavepoint(QueuedWrite& write, std::vector<FileToDelete>& filesToDelete);
    void failBatch(const std::vector<QueuedWrite*>& batch, const PgError& error);
    /// Remembers a failure of the server's disk (full, I/O error) for status().
    void noteStorageFailure(const PgError& error);
    template <typename Change>
    Status writeHeld(std::string_view operation, const std::string& messageId,
                     std::string_view owner, Change&& change);
    Status finishAcked(std::string_view operation, const std::string& messageId,
                       std::string_view owner, const std::string& detail, const StoredReply* reply);
    Status finishFailed(std::string_view operation, const std::string& messageId,
                        std::string_view owner, const MessageError& error,
                        const StoredReply* reply);
    void setState(const std::string& messageId, MessageState state, TimePoint now);
    void setLastError(const std::string& messageId, const MessageError& error, TimePoint now,
                      bool transportError);
    std::string keepReply(const std::string& messageId, const StoredReply& reply);
    void expireDue(TimePoint now);
    void failExhausted(TimePoint now);
    void failLapsedUnsafe(TimePoint now);
    void failInterrupted(const std::string& messageId, std::int64_t attempts,
                         std::string_view actor, const std::string& why, TimePoint now);
    /// Staff paused sending (PgOperations.cpp), as `connection` sees it.
    static bool dispatchPaused(Connection& connection);
    static void addOperationsStatus(Connection& connection, StatusSummary& summary);

    const Clock& m_clock;
    const std::string m_url;
    const std::string m_instance;
    std::unique_ptr<Connection> m_writer;

    std::mutex m_readersMutex;
    std::vector<std::unique_ptr<Connection>> m_idleReaders;

    std::mutex m_queueMutex; // guards the queue and m_writing
    std::condition_variable m_writesDone;
    std::vector<QueuedWrite*> m_queue;
    bool m_writing = false;
    std::optional<StorageProblem> m_storageProblem; // guarded by m_queueMutex

    // Used only by the thread writing a batch:
    std::vector<FileToDelete> m_deleteAfterCommit; // the running write's files
    std::vector<StoreSignal> m_signalsOnCommit;    // the running batch's signals
    struct AuditTip {
        std::int64_t seq = 0;
        std::string hash;
    };
    std::optional<AuditTip> m_auditTip; // this instance's chain tip, forgotten after a rollback

    std::unique_ptr<PgSignals> m_signals; // LISTEN/NOTIFY and the workflow lead (PgSignals.cpp)
};

template <typename T, typename Body>
Result<T> PgStore::write(std::string_view operation, Body&& body) {
    std::optional<Result<T>> result;
    auto run = [&]() -> bool {
        result.emplace(body());
        return result->ok();
    };
    QueuedWrite queued;
    queued.operation = operation;
    queued.body = &run;
    queued.run = [](void* erased) { return (*static_cast<decltype(run)*>(erased))(); };
    submitWrite(queued);
    if (queued.thrown) {
        std::rethrow_exception(queued.thrown);
    }
    if (queued.failed) {
        return *queued.failed;
    }
    return std::move(*result);
}

template <typename T, typename Body>
T PgStore::read(std::string_view operation, T fallback, Body&& body) {
    for (int attempt = 1;; ++attempt) {
        std::unique_ptr<ReaderLease> reader;
        try {
            reader = takeReader();
            Connection& connection = reader->connection();
            // One snapshot for the whole body, as SQLite's read transaction gives: a read never
            // sees half of another instance's commit between two of its statements.
            try {
                connection.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            } catch (const PgError& error) {
                // A pooled connection that died while idle (a server restart): once more on a
                // new one, since nothing was read yet.
                if (!error.connectionLost() || attempt > 1) {
                    throw;
                }
                reader->markLost();
                continue;
            }
            try {
                T value = body(connection);
                connection.exec("COMMIT");
                return value;
            } catch (...) {
                if (connection.inTransaction()) {
                    try {
                        connection.exec("ROLLBACK");
                    } catch (const PgError&) {
                        reader->markLost();
                    }
                }
                throw;
            }
        } catch (const PgError& error) {
            if (reader && error.connectionLost()) {
                reader->markLost();
            }
            logReadFailure(operation, error);
            return fallback;
        }
    }
}

} // namespace gp::agent::pg
