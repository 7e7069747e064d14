#pragma once

#include "CrashTripwire.hpp"
#include "Database.hpp"
#include "StoreRows.hpp"
#include "Transaction.hpp"

#include <gp/agent/store/Store.hpp>

#include <Poco/Logger.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gp::agent::sqlite {

/// Counts of the store's write path, for tests and the shutdown log: how well concurrent writes
/// share commits (writes / commits is the mean batch).
struct WriteStats {
    std::uint64_t writes = 0;  // write operations run in a batch, successful or not
    std::uint64_t commits = 0; // batches, each one transaction and (when it changed rows) one fsync
    std::uint64_t largestBatch = 0;
};

/// The SQLite engine behind Store. Two connections to one file:
///
/// - Writes share commits (group commit). SQLite runs one writer at a time, and with
///   synchronous=FULL each commit waits for an fsync, so one transaction per write caps the store
///   at one write per fsync. Instead a write is queued, and the first caller to find no batch in
///   progress becomes the writer: it takes every queued write, runs each inside its own SAVEPOINT
///   of one transaction, commits once and wakes the callers. Writes that arrive meanwhile queue
///   up and form the next batch, taken by one of their own callers. So there is no timer, no
///   added wait when writes come one at a time, no thread of its own, and under load as many
///   writes per fsync as arrived during the previous one. A caller returns only after the COMMIT
///   holding its write returned: nothing is acknowledged before it is on disk.
/// - Reads use a second, query-only connection. WAL lets it read the last commit while the writer
///   waits for its fsync, so status pages and lookups never queue behind a commit. A read started
///   after a write returned sees that write (its commit came first).
class SqliteStore final : public Store {
public:
    enum class Access { ReadWrite, ReadOnly };

    /// Throws std::runtime_error when the file cannot be opened or migrated.
    SqliteStore(const std::filesystem::path& file, const Clock& clock, Access access);

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

    // Staff actions (SqliteOperations.cpp)
    std::vector<MessageRecord> listMessages(const std::vector<MessageState>& states, int limit,
                                            const std::vector<std::string>& practices) override;
    Status requeueMessage(const std::string& messageId, const AuditEvent& event) override;
    Status acknowledgeMessage(const std::string& messageId, const AuditEvent& event) override;
    Status setDispatchPaused(bool paused, const AuditEvent& event) override;
    std::vector<AuditRow> latestAudit(int limit) override;

    /// TEST-ONLY hooks into the write path; set before the writes they watch, never in
    /// production. Each runs on the thread that is writing the batch, outside the queue's lock.
    struct WriteHooks {
        /// Before the writer takes the queued writes as its batch (a test may wait here, with
        /// waitForQueuedWrites, until the batch it wants has queued).
        std::function<void()> beforeBatch;
        /// After every write of the batch ran, before its COMMIT.
        std::function<void(std::size_t writesInBatch)> beforeCommit;
    };
    void setWriteHooks(WriteHooks hooks);
    /// Blocks until at least `count` writes wait in the queue (for the hooks above).
    void waitForQueuedWrites(std::size_t count);
    WriteStats writeStats();

    Result<InboundAdmission> admitInbound(const InboundMessage& message,
                                          const AuditEvent& event) override;
    Result<std::vector<InboundRecord>> pendingInbound(int limit) override;
    std::optional<InboundRecord> findInbound(const std::string& messageId) override;
    Status markInboundFailed(const std::string& messageId, const std::string& error) override;
    Result<int> purgeExpiredInbound() override;

    std::optional<Conversation> findConversation(const std::string& conversationId) override;
    std::vector<Conversation> listConversations(const std::string& state, int limit) override;
    std::vector<ConversationPart> partsOf(const std::string& conversationId) override;
    std::vector<MessageRecord> messagesOf(const std::string& conversationId) override;
    std::vector<Conversation> conversationsDue(TimePoint now) override;
    std::optional<TimePoint> nextConversationDeadline() override;
    Status applyStep(const WorkflowStep& step) override;

    // EPS prescriptions (SqliteEps.cpp)
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

    // e-RS requests (SqliteErs.cpp)
    Status applyErsStep(const ErsWorkflowStep& step) override;
    std::optional<ErsRequest> findErsRequest(const std::string& requestId) override;
    std::optional<ErsRequest> findErsRequestByUbrn(const std::string& ubrn) override;
    std::vector<ErsStepRecord> ersStepsOf(const std::string& requestId) override;
    std::vector<ErsRequest> activeErsRequests(int limit) override;

    // One instance per SQLite file (agent.lock): no other instance to hear from, always leads.
    void setSignalListener(StoreSignalListener) override {}
    bool leadsWorkflows() override { return true; }

    ~SqliteStore() override;

private:
    struct LeaseCheck;
    struct FileToDelete {
        std::filesystem::path file;
        std::string owner; // "message <id>", for the log
    };
    /// One caller's write, waiting in the queue or running in a batch. It lives on the caller's
    /// stack; the writer fills in the outcome, then sets `done` under m_queueMutex.
    struct QueuedWrite {
        std::string_view operation;
        /// Runs the caller's body; true when it succeeded (its changes are kept in the batch).
        bool (*run)(void* body) = nullptr;
        void* body = nullptr;
        /// Set when the write failed outside its body's own Result: a SQLite error in the body,
        /// or the batch as a whole (its COMMIT) failed.
        std::optional<Error> failed;
        std::exception_ptr thrown; // anything else the body threw, rethrown to its caller
        bool changed = false;      // it changed rows: a transition for the tripwire
        bool done = false;
    };

    /// Queues `body` as one write and returns once the batch holding it committed (or failed):
    /// the body runs inside its own savepoint of the batch's transaction, and its changes are
    /// kept only if it returns a successful Result. SQLite errors become a failed Result. Files
    /// queued with deleteAfterCommit are removed after the commit and forgotten after a
    /// rollback.
    template <typename T, typename Body>
    Result<T> write(std::string_view operation, Body&& body);
    /// Runs `body(connection)` on the read connection, in one read snapshot.
    template <typename T, typename Body>
    T read(std::string_view operation, T fallback, Body&& body);
    /// Leader/follower: queues `write`, then either writes a batch (when no writer is busy) or
    /// waits, until `write` is done.
    void submitWrite(QueuedWrite& write);
    /// The writer's part: runs `batch` in one transaction and commits it; true when it
    /// committed. Never throws: every outcome is left in the writes.
    bool writeBatch(const std::vector<QueuedWrite*>& batch);
    /// Runs one write of a batch inside its savepoint, keeping its changes only if it
    /// succeeded. Throws SqliteError when SQLite rolled the whole transaction back meanwhile
    /// (the batch is lost).
    void runInSavepoint(QueuedWrite& write, std::vector<FileToDelete>& filesToDelete);
    /// Fails every write of `batch` that would otherwise have committed.
    void failBatch(const std::vector<QueuedWrite*>& batch, const SqliteError& error);
    Database& readConnection();
    /// A write that first confirms `owner` still holds the message's lease; `change` receives the
    /// lease check and the time of the change.
    template <typename Change>
    Status writeHeld(std::string_view operation, const std::string& messageId,
                     std::string_view owner, Change&& change);
    /// Acked or failed, keeping the reply when there is one: the with- and without-reply
    /// variants of the Store interface share these.
    Status finishAcked(std::string_view operation, const std::string& messageId,
                       std::string_view owner, const std::string& detail, const StoredReply* reply);
    Status finishFailed(std::string_view operation, const std::string& messageId,
                        std::string_view owner, const MessageError& error,
                        const StoredReply* reply);

    Status insertOutbound(const OutboundMessage& message, TimePoint dueAt, TimePoint now);
    void upsertConversation(const Conversation& conversation, TimePoint now);
    void upsertPart(const ConversationPart& part);
    void upsertErsRequest(const ErsRequest& request, TimePoint now);
    void upsertErsStep(const ErsStepRecord& step, TimePoint now);
    void deleteAfterCommit(std::filesystem::path file, std::string owner);
    static void deleteCommittedFiles(const std::vector<FileToDelete>& files);

    Result<LeaseCheck> checkLease(const std::string& messageId, std::string_view owner);
    void appendAudit(TimePoint at, std::string_view actor, std::string_view event,
                     std::string_view messageId, std::string_view detail,
                     std::string_view nhsNumber = {});
    void setState(const std::string& messageId, MessageState state, TimePoint now);
    void setLastError(const std::string& messageId, const MessageError& error, TimePoint now,
                      bool transportError);
    /// Returns an audit note when the body had to be cut to kMaxStoredReplyBytes, else "".
    std::string keepReply(const std::string& messageId, const StoredReply& reply);
    /// Remembers a failure of the disk under the store (full, I/O error) for status(); other
    /// SQLite errors say nothing about the disk.
    void noteStorageFailure(const SqliteError& error);
    void expireDue(TimePoint now);
    void failExhausted(TimePoint now);
    /// Ends an interrupted attempt of a message that is not safe to send twice (an e-RS create):
    /// failed with outcome-unknown, so that its workflow asks what happened instead of resending.
    void failInterrupted(const std::string& messageId, std::int64_t attempts,
                         std::string_view actor, const std::string& why, TimePoint now);
    /// failInterrupted for every such message whose holder's lease ran out.
    void failLapsedUnsafe(TimePoint now);
    /// Staff paused sending (SqliteOperations.cpp), as `database` sees it.
    static bool dispatchPaused(Database& database);
    /// The status fields staff actions add: paused, needsAttention, lastSentAt, transfer
    /// states.
    static void addOperationsStatus(Database& database, StatusSummary& summary);

    const Clock& m_clock;
    const Access m_access;
    /// The write connection: used only by the thread writing a batch (m_writing), and by the
    /// constructor. In a read-only store it is the only connection and serves reads.
    Database m_database;
    std::unique_ptr<Database> m_reader; // the query-only read connection; null when read-only
    std::mutex m_readMutex;             // one read at a time on the read connection

    std::mutex m_queueMutex; // guards everything down to m_storageProblem
    std::condition_variable m_writesDone;
    std::condition_variable m_writeQueued; // for waitForQueuedWrites (tests)
    std::vector<QueuedWrite*> m_queue;
    bool m_writing = false; // a thread is writing a batch
    WriteStats m_stats;
    WriteHooks m_hooks;
    /// The disk failure the last write met, for status().
    std::optional<StorageProblem> m_storageProblem;

    // Used only by the thread writing a batch:
    std::vector<FileToDelete> m_deleteAfterCommit; // the running write's files
    std::unique_ptr<CrashTripwire> m_tripwire;     // test-only; null unless the campaign arms it
    /// The newest audit row's seq and hash, as the batch's transaction sees it: read once per
    /// batch, then kept, so that each write does not look it up again. Forgotten whenever a
    /// rollback may have removed rows, and at every batch's start (another process may have
    /// written between two batches).
    struct AuditTip {
        std::int64_t seq = 0;
        std::string hash;
    };
    std::optional<AuditTip> m_auditTip;
};

template <typename T, typename Body>
Result<T> SqliteStore::write(std::string_view operation, Body&& body) {
    if (m_access == Access::ReadOnly) {
        return failure("store", std::string(operation) + ": the store is open read-only");
    }
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
T SqliteStore::read(std::string_view operation, T fallback, Body&& body) {
    std::lock_guard lock(m_readMutex);
    try {
        Database& connection = readConnection();
        ReadSnapshot snapshot(connection);
        return body(connection);
    } catch (const SqliteError& error) {
        storeLogger().error(std::string(operation) + " failed: " + error.what());
        return fallback;
    }
}

} // namespace gp::agent::sqlite
