#pragma once

#include <cstdint>
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
};

/// The exact bytes that are hashed: each field, in the order of AuditFields, as a netstring
///     <length in bytes, decimal>":"<bytes>","
/// with seq and at written as decimal integers (a leading "-" only if negative, no padding). A
/// length-prefixed field cannot run into its neighbour, so no two different rows serialise alike
/// whatever bytes actor or detail hold. Example, the first row of a store:
///     0:,1:1,13:1773557468000,3:api,8:accepted,36:<MessageId>,0:,
/// docs/audit.md repeats this for people who check the chain with other tools.
std::string canonicalAuditForm(const AuditFields& fields);

/// Lower-case hex SHA-256 of canonicalAuditForm(fields).
std::string auditHash(const AuditFields& fields);

} // namespace gp::agent::sqlite
