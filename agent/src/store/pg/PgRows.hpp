#pragma once

#include "PgConnection.hpp"

#include <gp/agent/store/Store.hpp>

#include <string>
#include <string_view>

namespace Poco {
class Logger;
}

namespace gp::agent::pg {

// Shared by the files of PgStore: how rows are read back. The column lists are SQLite's
// (StoreRows.hpp, AuditChain.hpp), so the two engines read the same columns in the same order.

/// A MessageRecord from row `row` of a query selecting sqlite::kRecordColumns.
MessageRecord readRecord(const Rows& rows, int row);
/// A ClaimedMessage from row `row` of a query selecting sqlite::kRecordColumns.
ClaimedMessage readClaim(const Rows& rows, int row);

/// The audit columns every audit read selects, in readAuditRow's order.
inline constexpr std::string_view kAuditColumns =
    "seq, at, actor, event, message_id, detail, prev_hash, hash, nhs_number, chain";
AuditRow readAuditRow(const Rows& rows, int row);
std::vector<AuditRow> readAuditRows(const Rows& rows);

/// The store's logger (the same "store" logger as SQLite's).
Poco::Logger& pgLogger();

} // namespace gp::agent::pg
