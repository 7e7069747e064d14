#pragma once

#include <gp/Result.hpp>
#include <gp/mock/GroupCommit.hpp>
#include <gp/mock/Practice.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gp::mock {

class SqliteDatabase;

/// One line of the journal: one message received (or one delivery attempt of a forwarded
/// message), whatever became of it.
struct JournalEntry {
    std::int64_t sequence = 0; // set by the store
    std::string messageId;     // empty when the request carried none we could read
    std::string interaction;
    std::string outcome;    // processed, accepted, replayed, rejected, fault, forwarded, ...
    std::string replyCode;  // AA, 0002, 5009, ValueNotRecognized, 503, lostReply, ...
    std::string receivedAt; // ISO 8601 UTC
    std::string leg;        // "inbound" or "forward" for forward-reliable traffic; empty for EPS
    std::string recipient;  // the recipient practice's ODS code, when known
};

/// One forward-reliable message the mock accepted, and how its delivery is going. Times are
/// milliseconds since the epoch.
struct ForwardRecord {
    std::int64_t sequence = 0; // acceptance order, set by the store
    std::string messageId;
    std::string interaction;
    std::string conversationId;
    std::string sender;    // ODS code
    std::string recipient; // ODS code
    std::string contentType;
    std::string soapAction;
    std::string body;              // the exact bytes received; emptied once delivery has ended
    std::string state = "pending"; // pending, forwarded, failed, expired
    int attempts = 0;              // delivery attempts, faulted ones included
    int deliveries = 0;            // times the recipient was actually sent the message
    std::int64_t acceptedAt = 0;
    std::int64_t nextAttemptAt = 0;
    std::int64_t expiresAt = 0;
    std::string lastResult; // 202, 503, connect, timeout, lostReply, ...
};

/// What one delivery attempt changed.
struct ForwardProgress {
    std::string state;
    int attempts = 0;
    int deliveries = 0;
    std::int64_t nextAttemptAt = 0;
    std::string lastResult;
};

/// The exact reply sent for a processed MessageId, kept so that a replay gets the same bytes.
struct StoredReply {
    int status = 200;
    std::string contentType;
    std::string body;
    std::string replyCode;
};

/// spine-mock's durable state in <stateDir>/spine-mock.db (WAL, synchronous=FULL): the journal,
/// replies by MessageId and accepted prescription ids. Thread-safe. Concurrent writes share
/// commits (GroupCommit): each returns once it is on disk, and reads return only what is on disk.
class MockStore {
public:
    /// Opens or creates the database; throws std::runtime_error when that fails (a start-up error).
    explicit MockStore(const std::string& stateDir, CommitHooks hooks = {});
    ~MockStore();
    MockStore(const MockStore&) = delete;
    MockStore& operator=(const MockStore&) = delete;

    Status appendJournal(const JournalEntry& entry);

    /// Stores the reply, the accepted prescription id (if any) and the journal line in one
    /// transaction, committed before this returns so the reply can be sent.
    Status recordProcessed(const JournalEntry& entry, const StoredReply& reply,
                           const std::optional<std::string>& acceptedPrescriptionId);

    Result<std::optional<StoredReply>> findReply(const std::string& messageId);

    /// The MessageId under which a prescription id was accepted, if it was.
    Result<std::optional<std::string>> prescriptionAcceptedBy(const std::string& prescriptionId);

    /// The journal in arrival order; only the entries for `messageId` when it is not empty.
    Result<std::vector<JournalEntry>> journal(const std::string& messageId = {});

    /// Registers or updates a practice by ODS code: true when it was new. A party key that
    /// belongs to another ODS code is refused with where "partyKey".
    Result<bool> upsertPractice(const Practice& practice);
    /// Every registered practice, by ODS code.
    Result<std::vector<Practice>> practices();
    Result<std::optional<Practice>> practiceByOds(const std::string& odsCode);
    Result<std::optional<Practice>> practiceByPartyKey(const std::string& partyKey);

    /// Stores an accepted forward-reliable message, the acknowledgement sent for it (for
    /// replays) and its journal line in one transaction. A MessageId already accepted is an error.
    Status recordAccepted(const JournalEntry& entry, const ForwardRecord& forward,
                          const StoredReply& ack);
    /// The acknowledgement sent when `messageId` was accepted for forwarding, if it was.
    Result<std::optional<StoredReply>> findForwardAck(const std::string& messageId);
    /// The forward queue in acceptance order, without bodies; only pending ones if asked.
    Result<std::vector<ForwardRecord>> forwards(bool pendingOnly);
    /// The stored body of one accepted message (empty once its delivery has ended).
    Result<std::string> forwardBody(const std::string& messageId);
    /// Records one delivery attempt and its journal lines in one transaction; the body is
    /// dropped when the state is no longer pending.
    Status recordProgress(const std::string& messageId, const ForwardProgress& progress,
                          const std::vector<JournalEntry>& entries);

    /// Runs `work` on the connection under the store's lock as one atomic write, rolled back
    /// when `work` fails, and returns once it is committed. For tables kept by other classes
    /// (ErsStore), so that they share the one connection and commit with their journal lines.
    Status transaction(const std::function<Status(SqliteDatabase&)>& work);
    /// Runs `work` on the connection under the store's lock (reads); returns once what it read is
    /// on disk.
    Status withDatabase(const std::function<Status(SqliteDatabase&)>& work);

    /// For a DeferredDurability scope around a request's reads and writes.
    GroupCommit& commits() { return *m_commits; }

private:
    Status insertJournal(const JournalEntry& entry);
    Status migrate();
    template <typename Work>
    Status inTransaction(Work work); // migrations only, before m_commits exists
    template <typename T, typename Query>
    Result<T> readResult(Query query);
    template <typename T, typename Update>
    Result<T> writeResult(Update update);

    std::unique_ptr<SqliteDatabase> m_db;
    std::unique_ptr<GroupCommit> m_commits;
};

} // namespace gp::mock
