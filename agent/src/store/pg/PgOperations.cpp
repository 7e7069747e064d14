#include "../../gp2gp/TransferStates.hpp"
#include "../StoreRows.hpp"
#include "PgRows.hpp"
#include "PgStore.hpp"

#include <algorithm>
#include <string>

namespace gp::agent::pg {

// What staff do from the status page and the tray (docs/status-page.md), as SqliteOperations.cpp
// does it: list messages, retry or acknowledge a failed one, pause and resume sending. The pause
// flag is one row shared by every instance of the fleet: staff pause the practice's sending,
// not one process.

namespace {

using sqlite::formatUtc;
using sqlite::kRecordColumns;
using sqlite::sql;

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

std::optional<Ending> loadEnding(Connection& connection, const std::string& messageId) {
    // FOR UPDATE: another instance's staff action on the same message waits for this one.
    const Rows rows =
        connection.query("SELECT state, body_file IS NOT NULL, created_at, expires_at, attempts,"
                         " COALESCE(last_error_code, ''), acknowledged_at IS NOT NULL"
                         " FROM messages WHERE message_id = $1 FOR UPDATE",
                         Params().text(messageId));
    if (rows.count() == 0) {
        return std::nullopt;
    }
    return Ending{rows.text(0, 0),
                  rows.boolean(0, 1),
                  fromEpochMillis(rows.integer(0, 2)),
                  fromEpochMillis(rows.integer(0, 3)),
                  static_cast<int>(rows.integer(0, 4)),
                  rows.text(0, 5),
                  rows.boolean(0, 6)};
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

bool PgStore::dispatchPaused(Connection& connection) {
    const Rows rows = connection.query("SELECT value FROM agent_flags WHERE name = $1",
                                       Params().text(kPausedFlag));
    return rows.count() > 0 && rows.text(0, 0) == "1";
}

void PgStore::addOperationsStatus(Connection& connection, StatusSummary& summary) {
    {
        const Rows rows = connection.query(
            "SELECT (SELECT COUNT(*) FROM messages WHERE state IN ('failed', 'expired')"
            "         AND acknowledged_at IS NULL),"
            "       (SELECT MAX(last_sent_at) FROM messages)");
        summary.needsAttention = rows.integer(0, 0);
        if (const auto sent = rows.optionalInteger(0, 1)) {
            summary.lastSentAt = fromEpochMillis(*sent);
        }
    }
    {
        const Rows rows = connection.query(
            "SELECT role, state, COUNT(*) FROM conversations GROUP BY role, state");
        for (int row = 0; row < rows.count(); ++row) {
            const std::string role = rows.text(row, 0);
            const std::string state = rows.text(row, 1);
            summary.transferStates[state] += rows.integer(row, 2);
            // As SQLite's: a requester's "complete" or "closed" transfer is a record received.
            if (role == gp2gp::kRoleRequester &&
                (state == gp2gp::kComplete || state == gp2gp::kClosed)) {
                summary.recordsReceived += rows.integer(row, 2);
            }
        }
    }
    summary.paused = dispatchPaused(connection);
}

std::vector<MessageRecord> PgStore::listMessages(const std::vector<MessageState>& states, int limit,
                                                 const std::vector<std::string>& practices) {
    return read<std::vector<MessageRecord>>("listMessages", {}, [&](Connection& db) {
        // Arrays rather than IN lists: one prepared statement serves every filter. An empty
        // array means "any".
        std::vector<std::string> stateNames;
        for (const MessageState state : states) {
            stateNames.emplace_back(toString(state));
        }
        const auto array = [](const std::vector<std::string>& values) {
            // A text[] literal: each value quoted, with " and \ escaped.
            std::string literal = "{";
            for (std::size_t i = 0; i < values.size(); ++i) {
                literal += i == 0 ? "\"" : ",\"";
                for (const char c : values[i]) {
                    if (c == '"' || c == '\\') {
                        literal += '\\';
                    }
                    literal += c;
                }
                literal += '"';
            }
            return literal + "}";
        };
        const Rows rows = db.query(
            sql({"SELECT ", kRecordColumns, " FROM messages",
                 " WHERE (cardinality($2::text[]) = 0 OR state = ANY($2::text[]))",
                 " AND (cardinality($3::text[]) = 0 OR practice = ANY($3::text[]))",
                 // PostgreSQL has no rowid: the id breaks ties of created_at.
                 " ORDER BY created_at DESC, message_id DESC LIMIT $1"}),
            Params().integer(limit < 0 ? 0 : limit).text(array(stateNames)).text(array(practices)));
        std::vector<MessageRecord> records;
        for (int row = 0; row < rows.count(); ++row) {
            records.push_back(readRecord(rows, row));
        }
        return records;
    });
}

Status PgStore::requeueMessage(const std::string& messageId, const AuditEvent& event) {
    return write<Unit>("requeueMessage", [&]() -> Status {
        const auto ending = loadEnding(writer(), messageId);
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
        // A fresh persist window as long as the first (SqliteOperations.cpp says why).
        const TimePoint expiresAt = now + (ending->expiresAt - ending->createdAt);
        writer().query(
            "UPDATE messages SET state = 'queued', attempts = 0, updated_at = $2,"
            " expires_at = $3, next_attempt_at = $2, lease_owner = NULL,"
            " lease_until = NULL, poll_url = NULL, acknowledged_at = NULL,"
            " reply_status = NULL, reply_content_type = NULL, reply_location = NULL,"
            " reply_etag = NULL, reply_body = NULL WHERE message_id = $1",
            Params().text(messageId).integer(toEpochMillis(now)).integer(toEpochMillis(expiresAt)));
        // EPS items that followed this message's failure follow it again (docs/eps.md).
        writer().query("UPDATE eps_items SET code = '', text = '', updated_at = $2, state ="
                       " CASE WHEN cancel_message_id = $1 THEN 'cancel-requested' ELSE 'queued' END"
                       " WHERE (cancel_message_id = $1 AND state = 'cancel-failed')"
                       " OR (prescription_message_id = $1 AND cancel_message_id <> $1"
                       "     AND state IN ('rejected', 'undelivered'))",
                       Params().text(messageId).integer(toEpochMillis(now)));
        std::string detail = "was " + ending->state +
                             (ending->errorCode.empty() ? "" : " with code " + ending->errorCode) +
                             " after " + std::to_string(ending->attempts) +
                             " attempt(s); now expires " + formatUtc(expiresAt);
        if (!event.detail.empty()) {
            detail += "; " + event.detail;
        }
        appendAudit(now, event.actor, event.event.empty() ? "retry-requested" : event.event,
                    messageId, detail, event.nhsNumber);
        signalOnCommit(StoreSignal::OutboxChanged);
        return success();
    });
}

Status PgStore::acknowledgeMessage(const std::string& messageId, const AuditEvent& event) {
    return write<Unit>("acknowledgeMessage", [&]() -> Status {
        const auto ending = loadEnding(writer(), messageId);
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
        writer().query("UPDATE messages SET acknowledged_at = $2 WHERE message_id = $1",
                       Params().text(messageId).integer(toEpochMillis(now)));
        appendAudit(now, event.actor, event.event.empty() ? "acknowledged" : event.event, messageId,
                    event.detail.empty() ? ending->state + " message acknowledged by staff"
                                         : event.detail,
                    event.nhsNumber);
        return success();
    });
}

Status PgStore::setDispatchPaused(bool paused, const AuditEvent& event) {
    return write<Unit>("setDispatchPaused", [&]() -> Status {
        // Serialises staff of two instances flipping the flag at once: the second sees the first's
        // value and writes nothing, as on SQLite.
        writer().query("SELECT pg_advisory_xact_lock(hashtext(current_schema()),"
                       " hashtext('gp-agent dispatch-paused'))");
        if (dispatchPaused(writer()) == paused) {
            return success();
        }
        const TimePoint now = m_clock.now();
        writer().query(
            "INSERT INTO agent_flags (name, value, updated_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE"
            " SET value = excluded.value, updated_at = excluded.updated_at",
            Params().text(kPausedFlag).text(paused ? "1" : "0").integer(toEpochMillis(now)));
        appendAudit(now, event.actor,
                    event.event.empty() ? (paused ? "dispatch-paused" : "dispatch-resumed")
                                        : event.event,
                    "",
                    event.detail.empty()
                        ? (paused ? "sending paused; submissions still queued" : "sending resumed")
                        : event.detail);
        signalOnCommit(StoreSignal::OutboxChanged);
        return success();
    });
}

std::vector<AuditRow> PgStore::latestAudit(int limit) {
    return read<std::vector<AuditRow>>("latestAudit", {}, [&](Connection& db) {
        std::vector<AuditRow> rows = readAuditRows(
            db.query(sql({"SELECT ", kAuditColumns, " FROM audit ORDER BY seq DESC LIMIT $1"}),
                     Params().integer(limit < 0 ? 0 : limit)));
        std::reverse(rows.begin(), rows.end());
        return rows;
    });
}

} // namespace gp::agent::pg
