#include "../gp2gp/TransferStates.hpp"
#include "SqliteStore.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"

#include <string>

namespace gp::agent::sqlite {

// What staff do from the status page and the tray (docs/status-page.md): list messages, retry
// or acknowledge a failed one, pause and resume sending.

namespace {

constexpr std::string_view kPausedFlag = "dispatch-paused";

struct Ending {
    std::string state;
    bool bodyDiscarded = false;
    TimePoint createdAt;
    TimePoint expiresAt;
    int attempts = 0;
    std::string errorCode;
    bool acknowledged = false;
};

std::optional<Ending> loadEnding(Database& database, const std::string& messageId) {
    Statement query(database, "SELECT state, body_file IS NOT NULL, created_at, expires_at,"
                              " attempts, last_error_code, acknowledged_at IS NOT NULL"
                              " FROM messages WHERE message_id = ?1");
    query.bind(1, messageId);
    if (!query.step()) {
        return std::nullopt;
    }
    return Ending{query.text(0),
                  query.integer(1) != 0,
                  fromEpochMillis(query.integer(2)),
                  fromEpochMillis(query.integer(3)),
                  static_cast<int>(query.integer(4)),
                  query.text(5),
                  query.integer(6) != 0};
}

bool hasEnded(const Ending& ending) {
    return ending.state == toString(MessageState::Failed) ||
           ending.state == toString(MessageState::Expired);
}

Error notEnded(const std::string& messageId, const Ending& ending, const std::string& action) {
    return failure("state", "message " + messageId + " is " + ending.state + ": only a failed or" +
                                " expired message can be " + action);
}

} // namespace

bool SqliteStore::dispatchPaused(Database& database) {
    Statement query(database, "SELECT value FROM agent_flags WHERE name = ?1");
    query.bind(1, kPausedFlag);
    return query.step() && query.text(0) == "1";
}

void SqliteStore::addOperationsStatus(Database& database, StatusSummary& summary) {
    {
        Statement query(database,
                        "SELECT (SELECT COUNT(*) FROM messages WHERE state IN ('failed', 'expired')"
                        "         AND acknowledged_at IS NULL),"
                        "       (SELECT MAX(last_sent_at) FROM messages)");
        query.step();
        summary.needsAttention = query.integer(0);
        if (const auto sent = query.optionalInteger(1)) {
            summary.lastSentAt = fromEpochMillis(*sent);
        }
    }
    {
        Statement query(database,
                        "SELECT role, state, COUNT(*) FROM conversations GROUP BY role, state");
        while (query.step()) {
            const std::string role = query.text(0);
            const std::string state = query.text(1);
            summary.transferStates[state] += query.integer(2);
            // A requester's transfer reaches "complete" when the record is imported and
            // "closed" once its final acknowledgement has gone: either way, a record arrived.
            if (role == gp2gp::kRoleRequester &&
                (state == gp2gp::kComplete || state == gp2gp::kClosed)) {
                summary.recordsReceived += query.integer(2);
            }
        }
    }
    summary.paused = dispatchPaused(database);
}

std::vector<MessageRecord> SqliteStore::listMessages(const std::vector<MessageState>& states,
                                                     int limit,
                                                     const std::vector<std::string>& practices) {
    return read<std::vector<MessageRecord>>("listMessages", {}, [&](Database& db) {
        // Parameters: ?1 the limit, then the states, then the practices.
        int next = 2;
        const auto inList = [&next](const char* column, std::size_t count) {
            std::string list;
            for (std::size_t i = 0; i < count; ++i) {
                list += (i == 0 ? std::string(column) + " IN (?" : std::string(", ?")) +
                        std::to_string(next++);
            }
            return count == 0 ? list : list + ")";
        };
        const std::string byState = inList("state", states.size());
        const std::string byPractice = inList("practice", practices.size());
        std::string filter;
        for (const std::string* condition : {&byState, &byPractice}) {
            if (!condition->empty()) {
                filter += (filter.empty() ? " WHERE " : " AND ") + *condition;
            }
        }
        Statement query(db, sql({"SELECT ", kRecordColumns, " FROM messages", filter,
                                 " ORDER BY created_at DESC, rowid DESC LIMIT ?1"}));
        query.bind(1, std::int64_t{limit < 0 ? 0 : limit});
        int index = 2;
        for (const MessageState state : states) {
            query.bind(index++, toString(state));
        }
        for (const std::string& practice : practices) {
            query.bind(index++, practice);
        }
        std::vector<MessageRecord> records;
        while (query.step()) {
            records.push_back(readRecord(query));
        }
        return records;
    });
}

Status SqliteStore::requeueMessage(const std::string& messageId, const AuditEvent& event) {
    return write<Unit>("requeueMessage", [&]() -> Status {
        const auto ending = loadEnding(m_database, messageId);
        if (!ending) {
            return failure("messageId", "no message " + messageId);
        }
        if (!hasEnded(*ending)) {
            return notEnded(messageId, *ending, "retried");
        }
        if (ending->bodyDiscarded) {
            return failure(
                "body",
                "message " + messageId + " carried a large body kept in a file," +
                    " deleted when it " +
                    (ending->state == "failed" ? std::string("failed") : std::string("expired")) +
                    "; its workflow must send it again");
        }
        const TimePoint now = m_clock.now();
        // A fresh persist window as long as the first: the receiver forgets the MessageId after
        // its own persist duration, so a retry is a new delivery to it (docs/status-page.md).
        const TimePoint expiresAt = now + (ending->expiresAt - ending->createdAt);
        Statement update(m_database,
                         "UPDATE messages SET state = 'queued', attempts = 0, updated_at = ?2,"
                         " expires_at = ?3, next_attempt_at = ?2, lease_owner = NULL,"
                         " lease_until = NULL, poll_url = NULL, acknowledged_at = NULL,"
                         " reply_status = NULL, reply_content_type = NULL, reply_location = NULL,"
                         " reply_etag = NULL, reply_body = NULL WHERE message_id = ?1");
        update.bind(1, messageId)
            .bind(2, toEpochMillis(now))
            .bind(3, toEpochMillis(expiresAt))
            .run();
        // EPS items that followed this message's failure follow it again (docs/eps.md): a
        // prescription's items wait as queued, a cancellation's as cancel-requested, until the
        // retry's outcome sets them (EpsStatusTracker).
        Statement items(
            m_database,
            "UPDATE eps_items SET code = '', text = '', updated_at = ?2, state ="
            " CASE WHEN cancel_message_id = ?1 THEN 'cancel-requested' ELSE 'queued' END"
            " WHERE (cancel_message_id = ?1 AND state = 'cancel-failed')"
            " OR (prescription_message_id = ?1 AND cancel_message_id <> ?1"
            "     AND state IN ('rejected', 'undelivered'))");
        items.bind(1, messageId).bind(2, toEpochMillis(now)).run();
        std::string detail = "was " + ending->state +
                             (ending->errorCode.empty() ? "" : " with code " + ending->errorCode) +
                             " after " + std::to_string(ending->attempts) +
                             " attempt(s); now expires " + formatUtc(expiresAt);
        if (!event.detail.empty()) {
            detail += "; " + event.detail;
        }
        appendAudit(now, event.actor, event.event.empty() ? "retry-requested" : event.event,
                    messageId, detail, event.nhsNumber);
        return success();
    });
}

Status SqliteStore::acknowledgeMessage(const std::string& messageId, const AuditEvent& event) {
    return write<Unit>("acknowledgeMessage", [&]() -> Status {
        const auto ending = loadEnding(m_database, messageId);
        if (!ending) {
            return failure("messageId", "no message " + messageId);
        }
        if (!hasEnded(*ending)) {
            return notEnded(messageId, *ending, "acknowledged");
        }
        if (ending->acknowledged) {
            return success(); // seen already: one audit row is enough
        }
        const TimePoint now = m_clock.now();
        Statement update(m_database,
                         "UPDATE messages SET acknowledged_at = ?2 WHERE message_id = ?1");
        update.bind(1, messageId).bind(2, toEpochMillis(now)).run();
        appendAudit(now, event.actor, event.event.empty() ? "acknowledged" : event.event, messageId,
                    event.detail.empty() ? ending->state + " message acknowledged by staff"
                                         : event.detail,
                    event.nhsNumber);
        return success();
    });
}

Status SqliteStore::setDispatchPaused(bool paused, const AuditEvent& event) {
    return write<Unit>("setDispatchPaused", [&]() -> Status {
        if (dispatchPaused(m_database) == paused) {
            return success();
        }
        const TimePoint now = m_clock.now();
        Statement upsert(m_database,
                         "INSERT INTO agent_flags (name, value, updated_at)"
                         " VALUES (?1, ?2, ?3) ON CONFLICT (name) DO UPDATE"
                         " SET value = excluded.value, updated_at = excluded.updated_at");
        upsert.bind(1, kPausedFlag).bind(2, paused ? "1" : "0").bind(3, toEpochMillis(now)).run();
        appendAudit(now, event.actor,
                    event.event.empty() ? (paused ? "dispatch-paused" : "dispatch-resumed")
                                        : event.event,
                    "",
                    event.detail.empty()
                        ? (paused ? "sending paused; submissions still queued" : "sending resumed")
                        : event.detail);
        return success();
    });
}

} // namespace gp::agent::sqlite
