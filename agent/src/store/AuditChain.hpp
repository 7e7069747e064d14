#pragma once

#include <gp/agent/store/Store.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gp::agent::sqlite {

/// The fields of one audit row that its hash covers.
struct AuditFields {
    std::string_view prevHash;
    std::int64_t seq = 0;
    std::int64_t atMillis = 0;
    std::string_view actor;
    std::string_view event;
    std::string_view messageId;
    std::string_view detail;
    /// Absent for rows written before schema 8, which did not hash it; present (possibly empty)
    /// for every later row.
    std::optional<std::string_view> nhsNumber = std::nullopt;
};

/// The exact bytes that are hashed: each field, in the order of AuditFields, as a netstring
///     <length in bytes, decimal>":"<bytes>","
/// with seq and at written as decimal integers (a leading "-" only if negative, no padding). A
/// length-prefixed field cannot run into its neighbour, so no two different rows serialise alike
/// whatever bytes actor or detail hold. Example, the first row of a store:
///     0:,1:1,13:1773557468000,3:api,8:accepted,36:<MessageId>,0:,
/// Rows written since schema 8 carry an eighth field, the patient's NHS number ("0:," when the
/// row concerns no patient); older rows keep their seven-field form, so their hashes still hold.
/// docs/audit.md repeats this for people who check the chain with other tools.
std::string canonicalAuditForm(const AuditFields& fields);

/// Lower-case hex SHA-256 of canonicalAuditForm(fields).
std::string auditHash(const AuditFields& fields);

/// Checks a trail row by row in seq order, wherever the rows come from (the database, or an
/// export file read back on another machine): seq follows on, prev_hash is the previous row's
/// hash, hash matches the content. The one definition of an intact chain.
class AuditChainWalker {
public:
    /// Why `row` breaks the chain, or nothing when it continues it.
    std::optional<std::string> next(const AuditRow& row);
    std::int64_t lastSeq() const { return m_lastSeq; }
    const std::string& lastHash() const { return m_lastHash; }

private:
    std::int64_t m_lastSeq = 0;
    std::string m_lastHash;
};

} // namespace gp::agent::sqlite
