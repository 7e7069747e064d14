#pragma once

#include "CrashTripwire.hpp"
#include "Database.hpp"
#include "StoreRows.hpp"
#include "Transaction.hpp"

#include <gp/agent/store/Store.hpp>

#include <Poco/Logger.h>

#include <mutex>
#include <string>
#include <vector>

namespace gp::agent::sqlite {

/// The SQLite engine behind Store: one connection, one mutex. SQLite runs one writer at a time
/// anyway, and a practice's message rate is far below what one connection commits, so a pool would
/// add locking puzzles and no throughput.
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
    std::vector<MessageRecord> listMessages(const std::vector<MessageState>& states,
                                            int limit) override;
    Status requeueMessage(const std::string& messageId, const AuditEvent& event) override;
    Status acknowledgeMessage(const std::string& messageId, const AuditEvent& event) override;
    Status setDispatchPaused(bool paused, const AuditEvent& event) override;
    std::vector<AuditRow> latestAudit(int limit) override;

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

private:
    struct LeaseCheck;
    struct FileToDelete {
        std::filesystem::path file;
        std::string owner; // "message <id>", for the log
    };

    /// Runs `body` in one transaction under the mutex and commits when it succeeds; SQLite
    /// errors become a failed Result after the rollback. Files queued with deleteAfterCommit are
    /// removed after a commit and forgotten after a rollback.
    template <typename T, typename Body>
    Result<T> write(std::string_view operation, Body&& body);
    template <typename T, typename Body>
    T read(std::string_view operation, T fallback, Body&& body);
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
    void deleteCommittedFiles();

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
    /// SQLite errors say nothing about the disk. The caller holds m_mutex.
    void noteStorageFailure(const SqliteError& error);
    void expireDue(TimePoint now);
    void failExhausted(TimePoint now);
    /// Ends an interrupted attempt of a message that is not safe to send twice (an e-RS create):
    /// failed with outcome-unknown, so that its workflow asks what happened instead of resending.
    void failInterrupted(const std::string& messageId, std::int64_t attempts,
                         std::string_view actor, const std::string& why, TimePoint now);
    /// failInterrupted for every such message whose holder's lease ran out.
    void failLapsedUnsafe(TimePoint now);
    /// Staff paused sending (SqliteOperations.cpp); the caller holds m_mutex.
    bool dispatchPausedLocked();
    /// The status fields staff actions add: paused, needsAttention, lastSentAt, transfer states.
    void addOperationsStatus(StatusSummary& summary);

    const Clock& m_clock;
    const Access m_access;
    std::mutex m_mutex;
    Database m_database;
    std::vector<FileToDelete> m_deleteAfterCommit; // guarded by m_mutex
    std::unique_ptr<CrashTripwire> m_tripwire;     // test-only; null unless the campaign arms it
    /// The disk failure the last write met (guarded by m_mutex), for status().
    std::optional<StorageProblem> m_storageProblem;
};

template <typename T, typename Body>
Result<T> SqliteStore::write(std::string_view operation, Body&& body) {
    if (m_access == Access::ReadOnly) {
        return failure("store", std::string(operation) + ": the store is open read-only");
    }
    std::lock_guard lock(m_mutex);
    m_deleteAfterCommit.clear();
    try {
        // A write that changed rows is a store transition, which the test-only tripwire counts.
        const std::int64_t changesBefore = m_database.totalChanges();
        Transaction transaction(m_database);
        Result<T> result = body();
        if (result.ok()) {
            const bool changed = m_database.totalChanges() != changesBefore;
            const bool transition = m_tripwire && changed;
            if (transition) {
                m_tripwire->beforeCommit(operation);
            }
            transaction.commit();
            if (transition) {
                m_tripwire->afterCommit(operation);
            }
            if (changed) {
                m_storageProblem.reset(); // bytes reached the disk again
            }
            deleteCommittedFiles();
        }
        m_deleteAfterCommit.clear();
        return result;
    } catch (const SqliteError& error) {
        m_deleteAfterCommit.clear();
        storeLogger().error(std::string(operation) + " failed: " + error.what());
        noteStorageFailure(error);
        return failure("store", std::string(operation) + ": " + error.what());
    }
}

template <typename T, typename Body>
T SqliteStore::read(std::string_view operation, T fallback, Body&& body) {
    std::lock_guard lock(m_mutex);
    try {
        return body();
    } catch (const SqliteError& error) {
        storeLogger().error(std::string(operation) + " failed: " + error.what());
        return fallback;
    }
}

} // namespace gp::agent::sqlite
