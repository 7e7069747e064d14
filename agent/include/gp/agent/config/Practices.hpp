#pragma once

#include <gp/Result.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::agent {

/// One GP practice this gp-agent acts for: who it is on the Spine, and the client certificate
/// its messages go out under. A practice server's agent has one (from agent.odsCode,
/// agent.partyKey, agent.asid and the transport's certificate); a hosted instance may have hundreds
/// (docs/multi-practice.md).
struct Practice {
    std::string odsCode; // e.g. A83008; the practice's key everywhere (API, store rows, logs)
    std::string
        partyKey;     // e.g. A83008-822345: inbound messages addressed to it are this practice's
    std::string asid; // the practice system's ASID
    /// Mutual TLS towards Spine as this practice; empty: the agent's transport.tls.* settings.
    std::string certFile;
    std::string keyFile;
};

/// Every practice of one agent, looked up by ODS code or party key. The first is the default:
/// the practice of a request that names none (a single-practice agent's only practice).
class PracticeDirectory {
public:
    /// Throws std::invalid_argument naming the practice and field when `practices` is empty,
    /// a practice lacks an ODS code, party key or ASID, or an ODS code or party key repeats.
    explicit PracticeDirectory(std::vector<Practice> practices);

    const Practice& defaultPractice() const { return m_practices.front(); }
    /// Case-insensitive on the ODS code; null when this agent does not act for it.
    const Practice* byOdsCode(std::string_view odsCode) const;
    const Practice* byPartyKey(std::string_view partyKey) const;
    const std::vector<Practice>& all() const { return m_practices; }

private:
    std::vector<Practice> m_practices;
};

/// ODS codes compare without regard to case everywhere (API paths, headers, token scopes).
bool sameOdsCode(std::string_view a, std::string_view b);

/// Reads agent.practicesFile: one practice a line, "ODS PARTYKEY ASID [CERTFILE KEYFILE]",
/// separated by spaces or tabs; blank lines and lines starting with '#' ignored. ODS codes are
/// upper-cased. The error's `where` is "line N" and its message names the field at fault. A file
/// that parses may still repeat a practice: PracticeDirectory refuses that.
Result<std::vector<Practice>> parsePracticesFile(std::string_view text);

} // namespace gp::agent
