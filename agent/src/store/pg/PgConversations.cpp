#include "../StoreRows.hpp"
#include "PgRows.hpp"
#include "PgStore.hpp"

#include <string>

namespace gp::agent::pg {

using sqlite::kRecordColumns;
using sqlite::sql;

namespace {

constexpr std::string_view kConversationColumns =
    "conversation_id, role, state, nhs_number, local_ods, remote_ods, request_id,"
    " request_message_id, extract_message_id, deadline, error_code, error_text, parts_expected,"
    " parts_done, bytes_expected, bytes_done, created_at, updated_at, data";

constexpr std::string_view kPartColumns =
    "conversation_id, part_id, kind, parent_part_id, sequence, filename, content_type,"
    " expected_bytes, state, file, description";

Conversation readConversation(const Rows& rows, int row) {
    Conversation conversation;
    conversation.conversationId = rows.text(row, 0);
    conversation.role = rows.text(row, 1);
    conversation.state = rows.text(row, 2);
    conversation.nhsNumber = rows.text(row, 3);
    conversation.localOds = rows.text(row, 4);
    conversation.remoteOds = rows.text(row, 5);
    conversation.requestId = rows.text(row, 6);
    conversation.requestMessageId = rows.text(row, 7);
    conversation.extractMessageId = rows.text(row, 8);
    if (const auto deadline = rows.optionalInteger(row, 9)) {
        conversation.deadline = fromEpochMillis(*deadline);
    }
    conversation.errorCode = rows.text(row, 10);
    conversation.errorText = rows.text(row, 11);
    conversation.partsExpected = static_cast<int>(rows.integer(row, 12));
    conversation.partsDone = static_cast<int>(rows.integer(row, 13));
    conversation.bytesExpected = rows.integer(row, 14);
    conversation.bytesDone = rows.integer(row, 15);
    conversation.createdAt = fromEpochMillis(rows.integer(row, 16));
    conversation.updatedAt = fromEpochMillis(rows.integer(row, 17));
    conversation.data = rows.text(row, 18);
    return conversation;
}

std::vector<Conversation> readConversations(const Rows& rows) {
    std::vector<Conversation> conversations;
    conversations.reserve(static_cast<std::size_t>(rows.count()));
    for (int row = 0; row < rows.count(); ++row) {
        conversations.push_back(readConversation(rows, row));
    }
    return conversations;
}

ConversationPart readPart(const Rows& rows, int row) {
    ConversationPart part;
    part.conversationId = rows.text(row, 0);
    part.partId = rows.text(row, 1);
    part.kind = rows.text(row, 2);
    part.parentPartId = rows.text(row, 3);
    part.sequence = static_cast<int>(rows.integer(row, 4));
    part.filename = rows.text(row, 5);
    part.contentType = rows.text(row, 6);
    part.expectedBytes = rows.integer(row, 7);
    part.state = rows.text(row, 8);
    part.file = rows.text(row, 9);
    part.description = rows.text(row, 10);
    return part;
}

void upsertConversation(Connection& db, const Conversation& conversation, TimePoint now) {
    // created_at is kept from the first write; updated_at is the store's time of this write. Two
    // instances writing the same transfer at once are ordered by the row lock the upsert takes.
    const TimePoint createdAt =
        conversation.createdAt == TimePoint{} ? now : conversation.createdAt;
    db.query(sql({"INSERT INTO conversations (", kConversationColumns,
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
                  " $16, $17, $18, $19)"
                  " ON CONFLICT (conversation_id) DO UPDATE SET role = excluded.role,"
                  " state = excluded.state, nhs_number = excluded.nhs_number,"
                  " local_ods = excluded.local_ods, remote_ods = excluded.remote_ods,"
                  " request_id = excluded.request_id,"
                  " request_message_id = excluded.request_message_id,"
                  " extract_message_id = excluded.extract_message_id,"
                  " deadline = excluded.deadline, error_code = excluded.error_code,"
                  " error_text = excluded.error_text, parts_expected = excluded.parts_expected,"
                  " parts_done = excluded.parts_done, bytes_expected = excluded.bytes_expected,"
                  " bytes_done = excluded.bytes_done, updated_at = excluded.updated_at,"
                  " data = excluded.data"}),
             Params()
                 .text(conversation.conversationId)
                 .text(conversation.role)
                 .text(conversation.state)
                 .text(conversation.nhsNumber)
                 .text(conversation.localOds)
                 .text(conversation.remoteOds)
                 .text(conversation.requestId)
                 .text(conversation.requestMessageId)
                 .text(conversation.extractMessageId)
                 .optionalInteger(conversation.deadline ? std::optional<std::int64_t>(
                                                              toEpochMillis(*conversation.deadline))
                                                        : std::nullopt)
                 .text(conversation.errorCode)
                 .text(conversation.errorText)
                 .integer(conversation.partsExpected)
                 .integer(conversation.partsDone)
                 .integer(conversation.bytesExpected)
                 .integer(conversation.bytesDone)
                 .integer(toEpochMillis(createdAt))
                 .integer(toEpochMillis(now))
                 .text(conversation.data));
}

void upsertPart(Connection& db, const ConversationPart& part) {
    db.query(sql({"INSERT INTO conversation_parts (", kPartColumns,
                  ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                  " ON CONFLICT (conversation_id, part_id) DO UPDATE SET kind = excluded.kind,"
                  " parent_part_id = excluded.parent_part_id, sequence = excluded.sequence,"
                  " filename = excluded.filename, content_type = excluded.content_type,"
                  " expected_bytes = excluded.expected_bytes, state = excluded.state,"
                  " file = excluded.file, description = excluded.description"}),
             Params()
                 .text(part.conversationId)
                 .text(part.partId)
                 .text(part.kind)
                 .text(part.parentPartId)
                 .integer(part.sequence)
                 .text(part.filename)
                 .text(part.contentType)
                 .integer(part.expectedBytes)
                 .text(part.state)
                 .text(part.file.string())
                 .text(part.description));
}

} // namespace

std::optional<Conversation> PgStore::findConversation(const std::string& conversationId) {
    return read<std::optional<Conversation>>(
        "findConversation", std::nullopt, [&](Connection& db) -> std::optional<Conversation> {
            const Rows rows = db.query(sql({"SELECT ", kConversationColumns,
                                            " FROM conversations WHERE conversation_id = $1"}),
                                       Params().text(conversationId));
            if (rows.count() == 0) {
                return std::nullopt;
            }
            return readConversation(rows, 0);
        });
}

std::vector<Conversation> PgStore::listConversations(const std::string& state, int limit) {
    return read<std::vector<Conversation>>("listConversations", {}, [&](Connection& db) {
        return readConversations(
            db.query(sql({"SELECT ", kConversationColumns,
                          " FROM conversations WHERE ($1 = '' OR state = $1)"
                          " ORDER BY created_at DESC, conversation_id COLLATE \"C\" DESC"
                          " LIMIT $2"}),
                     Params().text(state).integer(limit < 0 ? 0 : limit)));
    });
}

std::vector<ConversationPart> PgStore::partsOf(const std::string& conversationId) {
    return read<std::vector<ConversationPart>>("partsOf", {}, [&](Connection& db) {
        // COLLATE "C": byte order, as SQLite compares text, whatever the database's locale.
        const Rows rows =
            db.query(sql({"SELECT ", kPartColumns,
                          " FROM conversation_parts WHERE conversation_id = $1"
                          " ORDER BY kind COLLATE \"C\", parent_part_id COLLATE \"C\", sequence,"
                          " part_id COLLATE \"C\""}),
                     Params().text(conversationId));
        std::vector<ConversationPart> parts;
        parts.reserve(static_cast<std::size_t>(rows.count()));
        for (int row = 0; row < rows.count(); ++row) {
            parts.push_back(readPart(rows, row));
        }
        return parts;
    });
}

std::vector<MessageRecord> PgStore::messagesOf(const std::string& conversationId) {
    return read<std::vector<MessageRecord>>("messagesOf", {}, [&](Connection& db) {
        const Rows rows = db.query(sql({"SELECT ", kRecordColumns,
                                        " FROM messages WHERE conversation_id = $1"
                                        " ORDER BY created_at, row_order"}),
                                   Params().text(conversationId));
        std::vector<MessageRecord> records;
        records.reserve(static_cast<std::size_t>(rows.count()));
        for (int row = 0; row < rows.count(); ++row) {
            records.push_back(readRecord(rows, row));
        }
        return records;
    });
}

std::vector<Conversation> PgStore::conversationsDue(TimePoint now) {
    return read<std::vector<Conversation>>("conversationsDue", {}, [&](Connection& db) {
        return readConversations(
            db.query(sql({"SELECT ", kConversationColumns,
                          " FROM conversations WHERE deadline IS NOT NULL"
                          " AND deadline <= $1 ORDER BY deadline, conversation_id COLLATE \"C\""}),
                     Params().integer(toEpochMillis(now))));
    });
}

std::optional<TimePoint> PgStore::nextConversationDeadline() {
    return read<std::optional<TimePoint>>(
        "nextConversationDeadline", std::nullopt, [&](Connection& db) -> std::optional<TimePoint> {
            const Rows rows = db.query("SELECT MIN(deadline) FROM conversations"
                                       " WHERE deadline IS NOT NULL");
            if (const auto millis = rows.optionalInteger(0, 0)) {
                return fromEpochMillis(*millis);
            }
            return std::nullopt;
        });
}

Status PgStore::applyStep(const WorkflowStep& step) {
    if (step.conversation && step.conversation->conversationId.empty()) {
        return failure("conversation.conversationId", "is empty");
    }
    for (std::size_t i = 0; i < step.parts.size(); ++i) {
        if (step.parts[i].conversationId.empty() || step.parts[i].partId.empty()) {
            return failure("parts[" + std::to_string(i) + "]",
                           "conversationId and partId are required");
        }
    }
    return write<Unit>("applyStep", [&]() -> Status {
        const TimePoint now = m_clock.now();
        Connection& db = writer();
        if (step.conversation) {
            upsertConversation(db, *step.conversation, now);
        }
        for (const ConversationPart& part : step.parts) {
            upsertPart(db, part);
        }
        for (const OutboundMessage& message : step.outbound) {
            // Due now, whatever the createdAt the workflow stamped: the step has just decided it.
            // insertOutbound tells the other instances' dispatchers (OutboxChanged).
            const Status inserted = insertOutbound(message, now, now);
            if (!inserted) {
                return inserted; // the whole step rolls back
            }
        }
        for (const std::string& messageId : step.inboundProcessed) {
            // Only a message still waiting is taken: if another instance processed it meanwhile
            // (its step committed first; ours waited on the row lock), this step is a second
            // processing of the same message and must not happen.
            const Rows taken = db.query("UPDATE inbox SET state = 'processed', error = ''"
                                        " WHERE message_id = $1 AND state = 'received'",
                                        Params().text(messageId));
            if (taken.affected() == 0) {
                const Rows found = db.query("SELECT state FROM inbox WHERE message_id = $1",
                                            Params().text(messageId));
                if (found.count() == 0) {
                    return failure("inboundProcessed", "no inbound message " + messageId);
                }
                return failure("inboundProcessed", "inbound message " + messageId + " is " +
                                                       found.text(0, 0) +
                                                       " already: it was handled by another step");
            }
        }
        // Every row of a transfer's step names its patient, so the audit answers "whose record".
        const std::string patient = step.conversation ? step.conversation->nhsNumber : "";
        for (const AuditEvent& event : step.audit) {
            appendAudit(now, event.actor, event.event, event.messageId, event.detail,
                        event.nhsNumber.empty() ? patient : event.nhsNumber);
        }
        const std::string actor = step.audit.empty() ? "workflow" : step.audit.front().actor;
        for (const OutboundMessage& message : step.outbound) {
            appendAudit(now, actor, "queued", message.messageId,
                        "interaction " + message.interaction + ", conversation " +
                            message.conversationId +
                            (message.bodyFile.empty() ? "" : ", body in a file"),
                        patient);
        }
        return success();
    });
}

} // namespace gp::agent::pg
