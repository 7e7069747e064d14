#include "SqliteStore.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"

#include <string>

namespace gp::agent::sqlite {

namespace {

constexpr std::string_view kConversationColumns =
    "conversation_id, role, state, nhs_number, local_ods, remote_ods, request_id,"
    " request_message_id, extract_message_id, deadline, error_code, error_text, parts_expected,"
    " parts_done, bytes_expected, bytes_done, created_at, updated_at, data";

constexpr std::string_view kPartColumns =
    "conversation_id, part_id, kind, parent_part_id, sequence, filename, content_type,"
    " expected_bytes, state, file, description";

Conversation readConversation(const Statement& row) {
    Conversation conversation;
    conversation.conversationId = row.text(0);
    conversation.role = row.text(1);
    conversation.state = row.text(2);
    conversation.nhsNumber = row.text(3);
    conversation.localOds = row.text(4);
    conversation.remoteOds = row.text(5);
    conversation.requestId = row.text(6);
    conversation.requestMessageId = row.text(7);
    conversation.extractMessageId = row.text(8);
    if (const auto deadline = row.optionalInteger(9)) {
        conversation.deadline = fromEpochMillis(*deadline);
    }
    conversation.errorCode = row.text(10);
    conversation.errorText = row.text(11);
    conversation.partsExpected = static_cast<int>(row.integer(12));
    conversation.partsDone = static_cast<int>(row.integer(13));
    conversation.bytesExpected = row.integer(14);
    conversation.bytesDone = row.integer(15);
    conversation.createdAt = fromEpochMillis(row.integer(16));
    conversation.updatedAt = fromEpochMillis(row.integer(17));
    conversation.data = row.text(18);
    return conversation;
}

ConversationPart readPart(const Statement& row) {
    ConversationPart part;
    part.conversationId = row.text(0);
    part.partId = row.text(1);
    part.kind = row.text(2);
    part.parentPartId = row.text(3);
    part.sequence = static_cast<int>(row.integer(4));
    part.filename = row.text(5);
    part.contentType = row.text(6);
    part.expectedBytes = row.integer(7);
    part.state = row.text(8);
    part.file = row.text(9);
    part.description = row.text(10);
    return part;
}

std::vector<Conversation> readConversations(Statement& query) {
    std::vector<Conversation> conversations;
    while (query.step()) {
        conversations.push_back(readConversation(query));
    }
    return conversations;
}

} // namespace

void SqliteStore::upsertConversation(const Conversation& conversation, TimePoint now) {
    // created_at is kept from the first write; updated_at is the store's time of this write.
    Statement upsert(
        m_database,
        sql({"INSERT INTO conversations (", kConversationColumns,
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
             " ?17, ?18, ?19)"
             " ON CONFLICT (conversation_id) DO UPDATE SET role = excluded.role,"
             " state = excluded.state, nhs_number = excluded.nhs_number,"
             " local_ods = excluded.local_ods, remote_ods = excluded.remote_ods,"
             " request_id = excluded.request_id,"
             " request_message_id = excluded.request_message_id,"
             " extract_message_id = excluded.extract_message_id, deadline = excluded.deadline,"
             " error_code = excluded.error_code, error_text = excluded.error_text,"
             " parts_expected = excluded.parts_expected, parts_done = excluded.parts_done,"
             " bytes_expected = excluded.bytes_expected, bytes_done = excluded.bytes_done,"
             " updated_at = excluded.updated_at, data = excluded.data"}));
    const TimePoint createdAt =
        conversation.createdAt == TimePoint{} ? now : conversation.createdAt;
    upsert.bind(1, conversation.conversationId)
        .bind(2, conversation.role)
        .bind(3, conversation.state)
        .bind(4, conversation.nhsNumber)
        .bind(5, conversation.localOds)
        .bind(6, conversation.remoteOds)
        .bind(7, conversation.requestId)
        .bind(8, conversation.requestMessageId)
        .bind(9, conversation.extractMessageId)
        .bind(10, conversation.deadline
                      ? std::optional<std::int64_t>(toEpochMillis(*conversation.deadline))
                      : std::nullopt)
        .bind(11, conversation.errorCode)
        .bind(12, conversation.errorText)
        .bind(13, std::int64_t{conversation.partsExpected})
        .bind(14, std::int64_t{conversation.partsDone})
        .bind(15, std::int64_t{conversation.bytesExpected})
        .bind(16, std::int64_t{conversation.bytesDone})
        .bind(17, toEpochMillis(createdAt))
        .bind(18, toEpochMillis(now))
        .bind(19, conversation.data)
        .run();
}

void SqliteStore::upsertPart(const ConversationPart& part) {
    Statement upsert(
        m_database,
        sql({"INSERT INTO conversation_parts (", kPartColumns,
             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
             " ON CONFLICT (conversation_id, part_id) DO UPDATE SET kind = excluded.kind,"
             " parent_part_id = excluded.parent_part_id, sequence = excluded.sequence,"
             " filename = excluded.filename, content_type = excluded.content_type,"
             " expected_bytes = excluded.expected_bytes, state = excluded.state,"
             " file = excluded.file, description = excluded.description"}));
    upsert.bind(1, part.conversationId)
        .bind(2, part.partId)
        .bind(3, part.kind)
        .bind(4, part.parentPartId)
        .bind(5, std::int64_t{part.sequence})
        .bind(6, part.filename)
        .bind(7, part.contentType)
        .bind(8, std::int64_t{part.expectedBytes})
        .bind(9, part.state)
        .bind(10, part.file.string())
        .bind(11, part.description)
        .run();
}

std::optional<Conversation> SqliteStore::findConversation(const std::string& conversationId) {
    return read<std::optional<Conversation>>(
        "findConversation", std::nullopt, [&](Database& db) -> std::optional<Conversation> {
            Statement query(db, sql({"SELECT ", kConversationColumns,
                                     " FROM conversations WHERE conversation_id = ?1"}));
            query.bind(1, conversationId);
            if (!query.step()) {
                return std::nullopt;
            }
            return readConversation(query);
        });
}

std::vector<Conversation> SqliteStore::listConversations(const std::string& state, int limit) {
    return read<std::vector<Conversation>>("listConversations", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kConversationColumns,
                                 " FROM conversations WHERE (?1 = '' OR state = ?1)"
                                 " ORDER BY created_at DESC, conversation_id DESC"
                                 " LIMIT ?2"}));
        query.bind(1, state).bind(2, std::int64_t{limit < 0 ? 0 : limit});
        return readConversations(query);
    });
}

std::vector<ConversationPart> SqliteStore::partsOf(const std::string& conversationId) {
    return read<std::vector<ConversationPart>>("partsOf", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kPartColumns,
                                 " FROM conversation_parts WHERE conversation_id = ?1"
                                 " ORDER BY kind, parent_part_id, sequence, part_id"}));
        query.bind(1, conversationId);
        std::vector<ConversationPart> parts;
        while (query.step()) {
            parts.push_back(readPart(query));
        }
        return parts;
    });
}

std::vector<MessageRecord> SqliteStore::messagesOf(const std::string& conversationId) {
    return read<std::vector<MessageRecord>>("messagesOf", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kRecordColumns,
                                 " FROM messages WHERE conversation_id = ?1"
                                 " ORDER BY created_at, rowid"}));
        query.bind(1, conversationId);
        std::vector<MessageRecord> records;
        while (query.step()) {
            records.push_back(readRecord(query));
        }
        return records;
    });
}

std::vector<Conversation> SqliteStore::conversationsDue(TimePoint now) {
    return read<std::vector<Conversation>>("conversationsDue", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kConversationColumns,
                                 " FROM conversations WHERE deadline IS NOT NULL"
                                 " AND deadline <= ?1 ORDER BY deadline, conversation_id"}));
        query.bind(1, toEpochMillis(now));
        return readConversations(query);
    });
}

std::optional<TimePoint> SqliteStore::nextConversationDeadline() {
    return read<std::optional<TimePoint>>(
        "nextConversationDeadline", std::nullopt, [&](Database& db) -> std::optional<TimePoint> {
            Statement query(db, "SELECT MIN(deadline) FROM conversations"
                                " WHERE deadline IS NOT NULL");
            if (query.step()) {
                if (const auto millis = query.optionalInteger(0)) {
                    return fromEpochMillis(*millis);
                }
            }
            return std::nullopt;
        });
}

Status SqliteStore::applyStep(const WorkflowStep& step) {
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
        if (step.conversation) {
            upsertConversation(*step.conversation, now);
        }
        for (const ConversationPart& part : step.parts) {
            upsertPart(part);
        }
        for (const OutboundMessage& message : step.outbound) {
            // Due now, whatever the createdAt the workflow stamped: the step has just decided it.
            const Status inserted = insertOutbound(message, now, now);
            if (!inserted) {
                return inserted; // the whole step rolls back
            }
        }
        for (const std::string& messageId : step.inboundProcessed) {
            // Only a message still waiting is taken: a second step for the same message (a
            // workflow that read it before the first step committed) would process it twice.
            Statement update(m_database, "UPDATE inbox SET state = 'processed', error = ''"
                                         " WHERE message_id = ?1 AND state = 'received'");
            update.bind(1, messageId).run();
            if (m_database.changes() == 0) {
                Statement found(m_database, "SELECT state FROM inbox WHERE message_id = ?1");
                found.bind(1, messageId);
                if (!found.step()) {
                    return failure("inboundProcessed", "no inbound message " + messageId);
                }
                return failure("inboundProcessed", "inbound message " + messageId + " is " +
                                                       found.text(0) +
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

} // namespace gp::agent::sqlite
