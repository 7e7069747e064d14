#pragma once

#include "Statement.hpp"

#include <gp/agent/store/Store.hpp>

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace Poco {
class Logger;
}

namespace gp::agent::sqlite {

// Shared by the files of SqliteStore: how rows of the outbox are read, and small formatting.

/// Columns 0-15, 21, 26 and 27 make a MessageRecord; 16-20 and 22-25 add what a ClaimedMessage
/// sends.
inline constexpr std::string_view kRecordColumns =
    "message_id, conversation_id, interaction, service, business_id, endpoint, state, attempts,"
    " max_attempts, created_at, updated_at, expires_at, next_attempt_at, acked_at,"
    " last_error_code, last_error_text, soap_action, content_type, body, body_file,"
    " retry_interval_ms, kind, method, headers, idempotent, poll_url, acknowledged_at, practice";

std::string sql(std::initializer_list<std::string_view> parts);

/// "2026-03-15T07:04:28.000Z": audit details are read by people.
std::string formatUtc(TimePoint time);

MessageRecord readRecord(const Statement& row);
/// A ClaimedMessage from a row selected with kRecordColumns.
ClaimedMessage readClaim(const Statement& row);

/// Request headers as stored: a JSON array of [name, value] pairs, which keeps their order and
/// allows a name twice.
std::string encodeHeaders(const std::vector<std::pair<std::string, std::string>>& headers);
std::vector<std::pair<std::string, std::string>> decodeHeaders(const std::string& json);

Poco::Logger& storeLogger();

} // namespace gp::agent::sqlite
