#pragma once

#include <gp/agent/store/Store.hpp>

#include <cstdint>
#include <map>
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
    /// Consecutive: seq goes 1, 2, 3… (a SQLite store: one chain, so a missing number is a
    /// deleted row). Gapped: seq only rises (a PostgreSQL store: seq is drawn from one sequence
    /// for every instance's chain, so a chain's numbers skip the other chains' rows and any
    /// rolled-back ones; a deleted row still shows, by the next row's prev_hash).
    enum class Numbering { Consecutive, Gapped };
    explicit AuditChainWalker(Numbering numbering = Numbering::Consecutive)
        : m_numbering(numbering) {}
    /// Why `row` breaks the chain, or nothing when it continues it.
    std::optional<std::string> next(const AuditRow& row);
    std::int64_t lastSeq() const { return m_lastSeq; }
    const std::string& lastHash() const { return m_lastHash; }

private:
    Numbering m_numbering;
    std::int64_t m_lastSeq = 0;
    std::string m_lastHash;
};

/// Checks a trail of several chains (AuditRow::chain) read in seq order: each row continues the
/// chain it names, and seq rises across all of them. Rows of chain "" (a SQLite store's only
/// chain) are numbered consecutively, rows of a named chain (a PostgreSQL instance's) with
/// gaps. A SQLite trail therefore checks exactly as with one AuditChainWalker.
class AuditChains {
public:
    std::optional<std::string> next(const AuditRow& row);
    /// The last row's, whichever chain it is in.
    std::int64_t lastSeq() const { return m_lastSeq; }
    const std::string& lastHash() const { return m_lastHash; }

private:
    struct Chain {
        AuditChainWalker walker;
        std::int64_t rowsSeenBefore = 0; // rows of every chain read up to its last row
    };
    std::map<std::string, Chain, std::less<>> m_chains;
    std::int64_t m_rowsSeen = 0;
    std::int64_t m_lastSeq = 0;
    std::string m_lastHash;
};

} // namespace gp::agent::sqlite
