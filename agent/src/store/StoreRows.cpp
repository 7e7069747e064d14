#include "StoreRows.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <cstdio>
#include <ctime>
#include <sstream>

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
    record.kind = row.text(21);
    if (const auto acknowledged = row.optionalInteger(26)) {
        record.acknowledgedAt = fromEpochMillis(*acknowledged);
    }
    record.practice = row.text(27);
    return record;
}

ClaimedMessage readClaim(const Statement& row) {
    ClaimedMessage message;
    message.record = readRecord(row);
    message.soapAction = row.text(16);
    message.contentType = row.text(17);
    message.body = row.blob(18);
    message.bodyFile = row.text(19);
    if (const auto interval = row.optionalInteger(20)) {
        message.retryInterval = Milliseconds(*interval);
    }
    message.method = row.text(22);
    message.headers = decodeHeaders(row.text(23));
    message.idempotent = row.integer(24) != 0;
    message.pollUrl = row.text(25);
    return message;
}

std::string encodeHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
    Poco::JSON::Array array;
    for (const auto& [name, value] : headers) {
        Poco::JSON::Array pair;
        pair.add(name);
        pair.add(value);
        array.add(pair);
    }
    std::ostringstream out;
    array.stringify(out);
    return out.str();
}

std::vector<std::pair<std::string, std::string>> decodeHeaders(const std::string& json) {
    std::vector<std::pair<std::string, std::string>> headers;
    try {
        Poco::JSON::Parser parser;
        const auto array = parser.parse(json).extract<Poco::JSON::Array::Ptr>();
        for (std::size_t i = 0; array && i < array->size(); ++i) {
            const auto pair = array->getArray(static_cast<unsigned int>(i));
            if (!pair || pair->size() != 2) {
                throw SqliteError(0, "headers entry " + std::to_string(i) + " is not a pair");
            }
            headers.emplace_back(pair->getElement<std::string>(0),
                                 pair->getElement<std::string>(1));
        }
    } catch (const Poco::Exception& error) {
        // Only this code writes the column, so this means a hand-edited file.
        throw SqliteError(0,
                          "stored headers are not a JSON array of pairs: " + error.displayText());
    }
    return headers;
}

Poco::Logger& storeLogger() {
    return Poco::Logger::get("store");
}

} // namespace gp::agent::sqlite
