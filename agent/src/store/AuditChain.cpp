#include "AuditChain.hpp"

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>

namespace gp::agent::sqlite {

namespace {

void appendField(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += ':';
    out += value;
    out += ',';
}

} // namespace

std::string canonicalAuditForm(const AuditFields& fields) {
    std::string out;
    out.reserve(64 + fields.prevHash.size() + fields.actor.size() + fields.event.size() +
                fields.messageId.size() + fields.detail.size());
    appendField(out, fields.prevHash);
    appendField(out, std::to_string(fields.seq));
    appendField(out, std::to_string(fields.atMillis));
    appendField(out, fields.actor);
    appendField(out, fields.event);
    appendField(out, fields.messageId);
    appendField(out, fields.detail);
    if (fields.nhsNumber) {
        appendField(out, *fields.nhsNumber);
    }
    return out;
}

std::optional<std::string> AuditChainWalker::next(const AuditRow& row) {
    if (m_numbering == Numbering::Gapped && row.seq <= m_lastSeq) {
        return "seq " + std::to_string(row.seq) + " does not follow row " +
               std::to_string(m_lastSeq) + " of chain " + row.chain +
               " (rows out of order or repeated)";
    }
    if (m_numbering == Numbering::Consecutive && row.seq != m_lastSeq + 1) {
        if (row.seq <= m_lastSeq) {
            return "seq " + std::to_string(row.seq) + " does not follow row " +
                   std::to_string(m_lastSeq) + " (rows out of order or repeated)";
        }
        const std::string first = std::to_string(m_lastSeq + 1);
        const std::string last = std::to_string(row.seq - 1);
        return (first == last ? "row " + first + " is" : "rows " + first + " to " + last + " are") +
               " missing before this row (deleted)";
    }
    if (row.prevHash != m_lastHash) {
        if (m_numbering == Numbering::Gapped) {
            return m_lastSeq == 0 ? "prev_hash of the first row of chain " + row.chain +
                                        " is not empty (its earlier rows were deleted)"
                                  : "prev_hash does not match row " + std::to_string(m_lastSeq) +
                                        " of chain " + row.chain +
                                        " (a row between them was deleted, altered or replaced)";
        }
        return m_lastSeq == 0 ? std::string("prev_hash of the first row is not empty")
                              : "prev_hash does not match row " + std::to_string(m_lastSeq) +
                                    " (a row before this one was altered or replaced)";
    }
    const AuditFields fields{row.prevHash,  row.seq,    toEpochMillis(row.at), row.actor, row.event,
                             row.messageId, row.detail, row.nhsNumber};
    if (auditHash(fields) != row.hash) {
        return "hash does not match content (the row was altered)";
    }
    m_lastSeq = row.seq;
    m_lastHash = row.hash;
    return std::nullopt;
}

std::optional<std::string> AuditChains::next(const AuditRow& row) {
    if (row.seq <= m_lastSeq) {
        return "seq " + std::to_string(row.seq) + " does not follow row " +
               std::to_string(m_lastSeq) + " (rows out of order or repeated)";
    }
    auto found = m_chains.find(row.chain);
    if (found == m_chains.end()) {
        const auto numbering = row.chain.empty() ? AuditChainWalker::Numbering::Consecutive
                                                 : AuditChainWalker::Numbering::Gapped;
        found = m_chains.emplace(row.chain, Chain{AuditChainWalker(numbering), 0}).first;
    }
    Chain& chain = found->second;
    const std::int64_t previous = chain.walker.lastSeq();
    if (!row.chain.empty() && row.prevHash != chain.walker.lastHash() &&
        m_rowsSeen == chain.rowsSeenBefore && row.seq > previous + 1) {
        // A named chain's seq skips numbers, so a gap alone proves nothing. But when its link is
        // broken and no other chain's row lies between, the numbers in between are where its
        // missing rows were: named as SQLite's one chain names them.
        const std::string first = std::to_string(previous + 1);
        const std::string last = std::to_string(row.seq - 1);
        return (first == last ? "row " + first + " is" : "rows " + first + " to " + last + " are") +
               " missing before this row (deleted)";
    }
    if (auto broken = chain.walker.next(row)) {
        return broken;
    }
    ++m_rowsSeen;
    chain.rowsSeenBefore = m_rowsSeen;
    m_lastSeq = row.seq;
    m_lastHash = row.hash;
    return std::nullopt;
}

std::string auditHash(const AuditFields& fields) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    const std::string form = canonicalAuditForm(fields);
    engine.update(form);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

} // namespace gp::agent::sqlite
