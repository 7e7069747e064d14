#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gp::mock {

class SqliteDatabase;

/// One line of the journal: one message received, whatever became of it.
struct JournalEntry {
    std::int64_t sequence = 0; // set by the store
    std::string messageId;     // empty when the request carried none we could read
    std::string interaction;
    std::string outcome;    // processed, replayed, rejected or fault
    std::string replyCode;  // AA, 0002, 5009, ValueNotRecognized, 503, ...
    std::string receivedAt; // ISO 8601 UTC
};

/// The exact reply sent for a processed MessageId, kept so that a replay gets the same bytes.
struct StoredReply {
    int status = 200;
    std::string contentType;
    std::string body;
    std::string replyCode;
};

/// spine-mock's durable state in <stateDir>/spine-mock.db (WAL, synchronous=FULL): the journal,
/// replies by MessageId and accepted prescription ids. Thread-safe.
class MockStore {
public:
    /// Opens or creates the database; throws std::runtime_error when that fails (a start-up error).
    explicit MockStore(const std::string& stateDir);
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

private:
    Status insertJournal(const JournalEntry& entry);

    std::mutex m_mutex;
    std::unique_ptr<SqliteDatabase> m_db;
};

} // namespace gp::mock
