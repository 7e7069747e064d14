#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>

namespace gp::agent {

// `gp-agentctl audit export` and `audit verify-export` (docs/audit.md, "Exporting the trail"):
// the whole trail as JSON lines, to be kept off the machine and checked anywhere later.
//
//   {"format":"gp-agent-audit-export","version":1,"exportedAt":"…Z"}
//   {"seq":1,"at":"…Z","atMillis":…,"actor":…,"event":…,"messageId":…,"detail":…,
//    "nhsNumber":null|"…","prevHash":…,"hash":…}                       (one line per row)
//   {"chainHead":{"lastSeq":N,"lastHash":"…"},"rows":N}

inline constexpr const char* kAuditExportFormat = "gp-agent-audit-export";

struct AuditExportSummary {
    std::int64_t rows = 0;
    std::int64_t lastSeq = 0;
    std::string lastHash;
};

/// Writes every row of `store`'s trail, in seq order, ending with the chain head. Throws
/// std::runtime_error when the store cannot be read or `out` fails.
AuditExportSummary writeAuditExport(Store& store, std::ostream& out, TimePoint exportedAt);

/// Reads an export back and checks it as `audit verify` checks the database: every row's hash
/// and link, and that the closing chain head names the last row (so no row was cut off the end).
/// A line that cannot be read is reported as broken, naming the line.
AuditVerification verifyAuditExport(std::istream& in);

} // namespace gp::agent
