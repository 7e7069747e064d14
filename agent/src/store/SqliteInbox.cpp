#include "SqliteStore.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"

#include <string>
#include <utility>

namespace gp::agent::sqlite {

namespace {

constexpr std::string_view kInboxColumns =
    "message_id, conversation_id, service, interaction, from_party, ref_to_message_id,"
    " content_type, body_file, body_bytes, received_at, keep_until, ack_status,"
    " ack_content_type, ack_body, state, error";

std::string_view inboundStateName(InboundState state) {
    switch (state) {
    case InboundState::Received:
        return "received";
    case InboundState::Processed:
        return "processed";
    case InboundState::Failed:
        return "failed";
    }
    return "received";
}

InboundRecord readInbound(const Statement& row) {
    InboundRecord record;
    InboundMessage& message = record.message;
    message.messageId = row.text(0);
    message.conversationId = row.text(1);
    message.service = row.text(2);
    message.interaction = row.text(3);
    message.fromPartyId = row.text(4);
    message.refToMessageId = row.text(5);
    message.contentType = row.text(6);
    message.bodyFile = row.text(7);
    message.bodyBytes = row.integer(8);
    message.receivedAt = fromEpochMillis(row.integer(9));
    message.keepUntil = fromEpochMillis(row.integer(10));
    message.ackStatus = static_cast<int>(row.integer(11));
    message.ackContentType = row.text(12);
    message.ackBody = row.blob(13);
    const std::string state = row.text(14);
    if (state == "processed") {
        record.state = InboundState::Processed;
    } else if (state == "failed") {
        record.state = InboundState::Failed;
    } else if (state == "received") {
        record.state = InboundState::Received;
    } else {
        // The CHECK constraint makes this unreachable short of a hand-edited file.
        throw SqliteError(0, "inbound message " + message.messageId + " has unknown state '" +
                                 state + "'");
    }
    record.error = row.text(15);
    return record;
}

std::optional<InboundRecord> loadInbound(Database& database, const std::string& messageId) {
    Statement query(database, sql({"SELECT ", kInboxColumns, " FROM inbox WHERE message_id = ?1"}));
    query.bind(1, messageId);
    if (!query.step()) {
        return std::nullopt;
    }
    return readInbound(query);
}

} // namespace

Result<InboundAdmission> SqliteStore::admitInbound(const InboundMessage& message,
                                                   const AuditEvent& event) {
    if (message.messageId.empty()) {
        return failure("messageId", "is empty");
    }
    if (message.bodyFile.empty()) {
        return failure("bodyFile", "is empty");
    }
    return write<InboundAdmission>("admitInbound", [&]() -> Result<InboundAdmission> {
        const TimePoint now = m_clock.now();
        if (std::optional<InboundRecord> seen = loadInbound(m_database, message.messageId)) {
            if (seen->message.keepUntil > now) {
                // Nothing about the message changes; the audit row alone is committed, so that
                // staff can see a duplicate arrived and was not processed again.
                appendAudit(now, event.actor, "duplicate-received", message.messageId, event.detail,
                            event.nhsNumber);
                return InboundAdmission{true, std::move(seen)};
            }
            // Its persist duration is over: the sender means a new message. The old body file
            // goes, unless the new copy already took its name.
            if (seen->message.bodyFile != message.bodyFile) {
                deleteAfterCommit(seen->message.bodyFile, "inbound message " + message.messageId);
            }
            Statement remove(m_database, "DELETE FROM inbox WHERE message_id = ?1");
            remove.bind(1, message.messageId).run();
        }
        Statement insert(m_database,
                         sql({"INSERT INTO inbox (", kInboxColumns,
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
                              " ?14, 'received', '')"}));
        insert.bind(1, message.messageId)
            .bind(2, message.conversationId)
            .bind(3, message.service)
            .bind(4, message.interaction)
            .bind(5, message.fromPartyId)
            .bind(6, message.refToMessageId)
            .bind(7, message.contentType)
            .bind(8, message.bodyFile.string())
            .bind(9, std::int64_t{message.bodyBytes})
            .bind(10, toEpochMillis(message.receivedAt))
            .bind(11, toEpochMillis(message.keepUntil))
            .bind(12, std::int64_t{message.ackStatus})
            .bind(13, message.ackContentType)
            .bindBlob(14, message.ackBody)
            .run();
        appendAudit(now, event.actor, event.event.empty() ? "received" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return InboundAdmission{};
    });
}

Result<std::vector<InboundRecord>> SqliteStore::pendingInbound(int limit) {
    // A read (see read()), written out because its failure is a Result, not a fallback value.
    std::lock_guard lock(m_readMutex);
    try {
        Database& db = readConnection();
        ReadSnapshot snapshot(db);
        Statement query(db, sql({"SELECT ", kInboxColumns,
                                 " FROM inbox WHERE state = 'received'"
                                 " ORDER BY received_at, message_id LIMIT ?1"}));
        query.bind(1, std::int64_t{limit < 0 ? 0 : limit});
        std::vector<InboundRecord> records;
        while (query.step()) {
            records.push_back(readInbound(query));
        }
        return records;
    } catch (const SqliteError& error) {
        storeLogger().error(std::string("pendingInbound failed: ") + error.what());
        return failure("store", std::string("pendingInbound: ") + error.what());
    }
}

std::optional<InboundRecord> SqliteStore::findInbound(const std::string& messageId) {
    return read<std::optional<InboundRecord>>(
        "findInbound", std::nullopt, [&](Database& db) { return loadInbound(db, messageId); });
}

Status SqliteStore::markInboundFailed(const std::string& messageId, const std::string& error) {
    return write<Unit>("markInboundFailed", [&]() -> Status {
        Statement update(m_database,
                         "UPDATE inbox SET state = ?2, error = ?3 WHERE message_id = ?1");
        update.bind(1, messageId).bind(2, inboundStateName(InboundState::Failed)).bind(3, error);
        update.run();
        if (m_database.changes() == 0) {
            return failure("messageId", "no inbound message " + messageId);
        }
        appendAudit(m_clock.now(), "workflow", "inbound-failed", messageId, error);
        return success();
    });
}

Result<int> SqliteStore::purgeExpiredInbound() {
    return write<int>("purgeExpiredInbound", [&]() -> Result<int> {
        const TimePoint now = m_clock.now();
        // A message still waiting to be processed is kept whatever its age: forgetting it would
        // lose it. It stops eliminating duplicates once past keep_until all the same.
        std::vector<std::pair<std::string, std::string>> expired; // id, body file
        {
            Statement query(m_database, "SELECT message_id, body_file FROM inbox"
                                        " WHERE keep_until <= ?1 AND state <> 'received'");
            query.bind(1, toEpochMillis(now));
            while (query.step()) {
                expired.emplace_back(query.text(0), query.text(1));
            }
        }
        if (expired.empty()) {
            return 0;
        }
        Statement remove(m_database, "DELETE FROM inbox WHERE message_id = ?1");
        for (const auto& [messageId, bodyFile] : expired) {
            remove.bind(1, messageId).run();
            remove.reset();
            deleteAfterCommit(bodyFile, "inbound message " + messageId);
        }
        const int count = static_cast<int>(expired.size());
        appendAudit(now, "housekeeping", "inbox-purged", "",
                    std::to_string(count) + " inbound messages past their persist duration");
        return count;
    });
}

} // namespace gp::agent::sqlite
