#pragma once

// What the tray reads from the agent's GET /v1/status (docs/local-api.md), parsed in one place.

#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <optional>

namespace gp::tray {

/// Counts per message state; names follow the agent's state spellings (queued, sending,
/// retry-wait, acked, failed, expired). A state the agent does not list counts as zero.
struct MessageCounts {
    qint64 queued = 0;
    qint64 sending = 0;
    qint64 retryWait = 0;
    qint64 acked = 0;
    qint64 failed = 0;
    qint64 expired = 0;
};

/// The caller's scope as the agent reports it, when it does: read < operate < full.
enum class TokenScope { Unknown, Read, Operate, Full };

struct AgentStatus {
    MessageCounts counts;
    std::optional<double> oldestQueuedAgeSeconds;
    std::optional<QDateTime> lastAckedAt;
    std::optional<QDateTime> lastSentAt;
    std::optional<QString> lastTransportError; // "code: text"
    bool paused = false;
    /// storage.state when it is not "ok" (e.g. "full", "io-error"): the agent refuses new work.
    std::optional<QString> storageProblem;
    /// Present in newer agents; when absent the tray counts failed + expired + GP2GP failed.
    std::optional<qint64> needsAttention;
    qint64 gp2gpInProgress = 0;
    qint64 gp2gpFailed = 0;
    /// Transfers completed as requester (records received); absent in agents that lack it.
    std::optional<qint64> gp2gpCompleted;
    /// From "caller": {"scope": ...} when the agent says what the token may do.
    TokenScope scope = TokenScope::Unknown;
};

struct StatusParse {
    std::optional<AgentStatus> status;
    QString error; // names the field when status is empty
};

/// Parses a /v1/status body. Unknown fields are ignored; a field of the wrong type is an error
/// naming it, because a tray that misreads the agent must not show green.
StatusParse parseAgentStatus(const QByteArray& json);

} // namespace gp::tray
