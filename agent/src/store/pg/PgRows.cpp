#include "PgRows.hpp"

#include "../StoreRows.hpp"

#include <Poco/Logger.h>

namespace gp::agent::pg {

MessageRecord readRecord(const Rows& rows, int row) {
    MessageRecord record;
    record.messageId = rows.text(row, 0);
    record.conversationId = rows.text(row, 1);
    record.interaction = rows.text(row, 2);
    record.service = rows.text(row, 3);
    record.businessId = rows.text(row, 4);
    record.endpoint = rows.text(row, 5);
    const std::string state = rows.text(row, 6);
    const std::optional<MessageState> parsed = messageStateFromString(state);
    if (!parsed) {
        // The CHECK constraint makes this unreachable short of a hand-edited row.
        throw PgError("", "message " + record.messageId + " has unknown state '" + state + "'",
                      false);
    }
    record.state = *parsed;
    record.attempts = static_cast<int>(rows.integer(row, 7));
    record.maxAttempts = static_cast<int>(rows.integer(row, 8));
    record.createdAt = fromEpochMillis(rows.integer(row, 9));
    record.updatedAt = fromEpochMillis(rows.integer(row, 10));
    record.expiresAt = fromEpochMillis(rows.integer(row, 11));
    if (const auto next = rows.optionalInteger(row, 12)) {
        record.nextAttemptAt = fromEpochMillis(*next);
    }
    if (const auto acked = rows.optionalInteger(row, 13)) {
        record.ackedAt = fromEpochMillis(*acked);
    }
    if (!rows.isNull(row, 14)) {
        record.lastError = MessageError{rows.text(row, 14), rows.text(row, 15)};
    }
    record.kind = rows.text(row, 21);
    if (const auto acknowledged = rows.optionalInteger(row, 26)) {
        record.acknowledgedAt = fromEpochMillis(*acknowledged);
    }
    record.practice = rows.text(row, 27);
    return record;
}

ClaimedMessage readClaim(const Rows& rows, int row) {
    ClaimedMessage message;
    message.record = readRecord(rows, row);
    message.soapAction = rows.text(row, 16);
    message.contentType = rows.text(row, 17);
    message.body = rows.bytes(row, 18);
    message.bodyFile = rows.text(row, 19);
    if (const auto interval = rows.optionalInteger(row, 20)) {
        message.retryInterval = Milliseconds(*interval);
    }
    message.method = rows.text(row, 22);
    message.headers = sqlite::decodeHeaders(rows.text(row, 23));
    message.idempotent = rows.integer(row, 24) != 0;
    message.pollUrl = rows.text(row, 25);
    return message;
}

AuditRow readAuditRow(const Rows& rows, int row) {
    AuditRow audit;
    audit.seq = rows.integer(row, 0);
    audit.at = fromEpochMillis(rows.integer(row, 1));
    audit.actor = rows.text(row, 2);
    audit.event = rows.text(row, 3);
    audit.messageId = rows.text(row, 4);
    audit.detail = rows.text(row, 5);
    audit.prevHash = rows.text(row, 6);
    audit.hash = rows.text(row, 7);
    if (!rows.isNull(row, 8)) {
        audit.nhsNumber = rows.text(row, 8);
    }
    audit.chain = rows.text(row, 9);
    return audit;
}

std::vector<AuditRow> readAuditRows(const Rows& rows) {
    std::vector<AuditRow> audit;
    audit.reserve(static_cast<std::size_t>(rows.count()));
    for (int row = 0; row < rows.count(); ++row) {
        audit.push_back(readAuditRow(rows, row));
    }
    return audit;
}

Poco::Logger& pgLogger() {
    return Poco::Logger::get("store");
}

} // namespace gp::agent::pg
