#pragma once

#include "Database.hpp"

#include <gp/agent/store/Store.hpp>

#include <mutex>

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
    Result<int> releaseAllLeases() override;
    std::optional<TimePoint> nextDueTime() override;
    std::optional<MessageRecord> findMessage(const std::string& messageId) override;
    std::vector<AuditRow> auditForMessage(const std::string& messageId) override;
    StatusSummary status() override;
    std::vector<AuditRow> auditAfter(std::int64_t afterSeq, int limit) override;
    AuditVerification verifyAudit() override;

private:
    struct LeaseCheck;

    template <typename T, typename Body>
    Result<T> write(std::string_view operation, Body&& body);
    template <typename T, typename Body>
    T read(std::string_view operation, T fallback, Body&& body);

    Result<LeaseCheck> checkLease(const std::string& messageId, std::string_view owner);
    void appendAudit(TimePoint at, std::string_view actor, std::string_view event,
                     std::string_view messageId, std::string_view detail);
    void setState(const std::string& messageId, MessageState state, TimePoint now);
    void setLastError(const std::string& messageId, const MessageError& error, TimePoint now,
                      bool transportError);
    void expireDue(TimePoint now);
    void failExhausted(TimePoint now);

    const Clock& m_clock;
    const Access m_access;
    std::mutex m_mutex;
    Database m_database;
};

} // namespace gp::agent::sqlite
