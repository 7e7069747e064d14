#include "StoreRows.hpp"

#include <Poco/Logger.h>

#include <cstdio>
#include <ctime>

namespace gp::agent::sqlite {

std::string sql(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (std::string_view part : parts) {
        out += part;
    }
    return out;
}

std::string formatUtc(TimePoint time) {
    const long long millis = toEpochMillis(time);
    long long seconds = millis / 1000;
    long long fraction = millis % 1000;
    if (fraction < 0) {
        fraction += 1000;
        seconds -= 1;
    }
    const std::time_t whole = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, fraction);
    return buffer;
}

MessageRecord readRecord(const Statement& row) {
    MessageRecord record;
    record.messageId = row.text(0);
    record.conversationId = row.text(1);
    record.interaction = row.text(2);
    record.service = row.text(3);
    record.businessId = row.text(4);
    record.endpoint = row.text(5);
    const std::string state = row.text(6);
    const std::optional<MessageState> parsed = messageStateFromString(state);
    if (!parsed) {
        // The CHECK constraint makes this unreachable short of a hand-edited file.
        throw SqliteError(0, "message " + record.messageId + " has unknown state '" + state + "'");
    }
    record.state = *parsed;
    record.attempts = static_cast<int>(row.integer(7));
    record.maxAttempts = static_cast<int>(row.integer(8));
    record.createdAt = fromEpochMillis(row.integer(9));
    record.updatedAt = fromEpochMillis(row.integer(10));
    record.expiresAt = fromEpochMillis(row.integer(11));
    if (const auto next = row.optionalInteger(12)) {
        record.nextAttemptAt = fromEpochMillis(*next);
    }
    if (const auto acked = row.optionalInteger(13)) {
        record.ackedAt = fromEpochMillis(*acked);
    }
    if (!row.isNull(14)) {
        record.lastError = MessageError{row.text(14), row.text(15)};
    }
    return record;
}

Poco::Logger& storeLogger() {
    return Poco::Logger::get("store");
}

} // namespace gp::agent::sqlite
