#include "../StoreRows.hpp"
#include "PgRows.hpp"
#include "PgStore.hpp"

#include <string>
#include <utility>

namespace gp::agent::pg {

using sqlite::sql;

namespace {

constexpr std::string_view kInboxColumns =
    "message_id, conversation_id, service, interaction, from_party, ref_to_message_id,"
    " content_type, body_file, body_bytes, received_at, keep_until, ack_status,"
    " ack_content_type, ack_body, state, error";

InboundRecord readInbound(const Rows& rows, int row) {
    InboundRecord record;
    InboundMessage& message = record.message;
    message.messageId = rows.text(row, 0);
    message.conversationId = rows.text(row, 1);
    message.service = rows.text(row, 2);
    message.interaction = rows.text(row, 3);
    message.fromPartyId = rows.text(row, 4);
    message.refToMessageId = rows.text(row, 5);
    message.contentType = rows.text(row, 6);
    message.bodyFile = rows.text(row, 7);
    message.bodyBytes = rows.integer(row, 8);
    message.receivedAt = fromEpochMillis(rows.integer(row, 9));
    message.keepUntil = fromEpochMillis(rows.integer(row, 10));
    message.ackStatus = static_cast<int>(rows.integer(row, 11));
    message.ackContentType = rows.text(row, 12);
    message.ackBody = rows.bytes(row, 13);
    const std::string state = rows.text(row, 14);
    if (state == "processed") {
        record.state = InboundState::Processed;
    } else if (state == "failed") {
        record.state = InboundState::Failed;
    } else if (state == "received") {
        record.state = InboundState::Received;
    } else {
        // The CHECK constraint makes this unreachable short of a hand-edited row.
        throw PgError("",
                      "inbound message " + message.messageId + " has unknown state '" + state + "'",
                      false);
    }
    record.error = rows.text(row, 15);
    return record;
}

std::optional<InboundRecord> loadInbound(Connection& connection, const std::string& messageId) {
    const Rows rows =
        connection.query(sql({"SELECT ", kInboxColumns, " FROM inbox WHERE message_id = $1"}),
                         Params().text(messageId));
    if (rows.count() == 0) {
        return std::nullopt;
    }
    return readInbound(rows, 0);
}

/// The new row's values, $1-$14, in kInboxColumns order (state and error are fixed).
Params inboxValues(const InboundMessage& message) {
    Params params;
    params.text(message.messageId)
        .text(message.conversationId)
        .text(message.service)
        .text(message.interaction)
        .text(message.fromPartyId)
        .text(message.refToMessageId)
        .text(message.contentType)
        .text(message.bodyFile.string())
        .integer(message.bodyBytes)
        .integer(toEpochMillis(message.receivedAt))
        .integer(toEpochMillis(message.keepUntil))
        .integer(message.ackStatus)
        .text(message.ackContentType)
        .bytes(message.ackBody);
    return params;
}

} // namespace

Result<InboundAdmission> PgStore::admitInbound(const InboundMessage& message,
                                               const AuditEvent& event) {
    if (message.messageId.empty()) {
        return failure("messageId", "is empty");
    }
    if (message.bodyFile.empty()) {
        return failure("bodyFile", "is empty");
    }
    return write<InboundAdmission>("admitInbound", [&]() -> Result<InboundAdmission> {
        const TimePoint now = m_clock.now();
        Connection& db = writer();
        // Two instances may be handed the same MessageId at once (Spine retrying on another
        // connection). The insert settles it: one of them stores the row, the other's insert
        // waits for that commit and then does nothing, and it answers with the original.
        for (int attempt = 1;; ++attempt) {
            const Rows inserted = db.query(
                sql({"INSERT INTO inbox (", kInboxColumns,
                     ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
                     " 'received', '') ON CONFLICT (message_id) DO NOTHING"}),
                inboxValues(message));
            if (inserted.affected() == 1) {
                break;
            }
            // Locked, so that of two instances finding it past keepUntil only one replaces it;
            // the other then reads the replacement and sees a duplicate.
            const Rows seenRows = db.query(
                sql({"SELECT ", kInboxColumns, " FROM inbox WHERE message_id = $1 FOR UPDATE"}),
                Params().text(message.messageId));
            if (seenRows.count() == 0) {
                if (attempt == 1) {
                    continue; // purged between the two statements: insert it afresh
                }
                return failure("messageId", "inbound message " + message.messageId +
                                                " was purged while being admitted");
            }
            InboundRecord seen = readInbound(seenRows, 0);
            if (seen.message.keepUntil > now) {
                // Nothing about the message changes; the audit row alone is committed, so that
                // staff can see a duplicate arrived and was not processed again.
                appendAudit(now, event.actor, "duplicate-received", message.messageId, event.detail,
                            event.nhsNumber);
                return InboundAdmission{true, std::move(seen)};
            }
            // Its persist duration is over: the sender means a new message. The old body file
            // goes, unless the new copy already took its name.
            if (seen.message.bodyFile != message.bodyFile) {
                deleteAfterCommit(seen.message.bodyFile, "inbound message " + message.messageId);
            }
            db.query("UPDATE inbox SET conversation_id = $2, service = $3, interaction = $4,"
                     " from_party = $5, ref_to_message_id = $6, content_type = $7,"
                     " body_file = $8, body_bytes = $9, received_at = $10, keep_until = $11,"
                     " ack_status = $12, ack_content_type = $13, ack_body = $14,"
                     " state = 'received', error = '' WHERE message_id = $1",
                     inboxValues(message));
            break;
        }
        appendAudit(now, event.actor, event.event.empty() ? "received" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        signalOnCommit(StoreSignal::InboxChanged);
        return InboundAdmission{};
    });
}

Result<std::vector<InboundRecord>> PgStore::pendingInbound(int limit) {
    // The reason of a failed read is in the log (read()); the caller only needs to know it failed.
    return read<Result<std::vector<InboundRecord>>>(
        "pendingInbound", failure("store", "pendingInbound: the store could not be read"),
        [&](Connection& db) -> Result<std::vector<InboundRecord>> {
            const Rows rows =
                db.query(sql({"SELECT ", kInboxColumns,
                              " FROM inbox WHERE state = 'received'"
                              " ORDER BY received_at, message_id COLLATE \"C\" LIMIT $1"}),
                         Params().integer(limit < 0 ? 0 : limit));
            std::vector<InboundRecord> records;
            records.reserve(static_cast<std::size_t>(rows.count()));
            for (int row = 0; row < rows.count(); ++row) {
                records.push_back(readInbound(rows, row));
            }
            return records;
        });
}

std::optional<InboundRecord> PgStore::findInbound(const std::string& messageId) {
    return read<std::optional<InboundRecord>>(
        "findInbound", std::nullopt, [&](Connection& db) { return loadInbound(db, messageId); });
}

Status PgStore::markInboundFailed(const std::string& messageId, const std::string& error) {
    return write<Unit>("markInboundFailed", [&]() -> Status {
        const Rows updated =
            writer().query("UPDATE inbox SET state = 'failed', error = $2 WHERE message_id = $1",
                           Params().text(messageId).text(error));
        if (updated.affected() == 0) {
            return failure("messageId", "no inbound message " + messageId);
        }
        appendAudit(m_clock.now(), "workflow", "inbound-failed", messageId, error);
        return success();
    });
}

Result<int> PgStore::purgeExpiredInbound() {
    return write<int>("purgeExpiredInbound", [&]() -> Result<int> {
        const TimePoint now = m_clock.now();
        // A message still waiting to be processed is kept whatever its age: forgetting it would
        // lose it. It stops eliminating duplicates once past keep_until all the same. One
        // statement, so two instances purging at once each forget a different share.
        const Rows purged = writer().query("DELETE FROM inbox WHERE keep_until <= $1"
                                           " AND state <> 'received'"
                                           " RETURNING message_id, body_file",
                                           Params().integer(toEpochMillis(now)));
        const int count = purged.count();
        if (count == 0) {
            return 0;
        }
        for (int row = 0; row < count; ++row) {
            deleteAfterCommit(purged.text(row, 1), "inbound message " + purged.text(row, 0));
        }
        appendAudit(now, "housekeeping", "inbox-purged", "",
                    std::to_string(count) + " inbound messages past their persist duration");
        return count;
    });
}

} // namespace gp::agent::pg
