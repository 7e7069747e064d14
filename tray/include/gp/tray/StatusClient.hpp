#pragma once

// Polls the agent's GET /v1/status on a timer and sends the staff actions, with no GUI, so the
// tray shell and the tests drive the same code.

#include <gp/tray/AgentStatus.hpp>

#include <QNetworkAccessManager>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>
#include <chrono>
#include <optional>

class QNetworkReply;

namespace gp::tray {

/// Why the tray could not show the agent's status or carry out an action.
enum class Problem {
    None,
    Unreachable,   // no HTTP reply: refused, timed out, name not found
    Misconfigured, // no token, or the token or CA file cannot be read
    TokenRefused,  // 401
    Forbidden,     // 403: the token's scope is too small
    BadReply,      // another HTTP status, or a body the tray does not understand
};

enum class AgentAction { RetryFailed, Pause, Resume };

struct ActionResult {
    AgentAction action = AgentAction::RetryFailed;
    Problem problem = Problem::None;
    int httpStatus = 0;
    QString detail;                // the agent's error message, or the transport's
    std::optional<qint64> retried; // POST /v1/messages/retry-failed
    std::optional<bool> paused;    // POST /v1/dispatch/pause|resume
};

struct ClientOptions {
    QUrl agentUrl{QStringLiteral("http://127.0.0.1:7670")};
    QString tokenFile; // read before every request, so a replaced token is picked up
    QString token;     // used when tokenFile is empty
    // PEM certificates the agent's HTTPS certificate may chain to, besides the system's: for a
    // practice whose IT made its own CA. Read before every request, like the token.
    QString caFile;
    std::chrono::milliseconds pollInterval{5000};
    // After consecutive failures the next poll waits base * 2^(n-1), capped: one tray per
    // workstation polls one agent, so there is no crowd to spread out with jitter.
    std::chrono::milliseconds backoffBase{2000};
    std::chrono::milliseconds backoffMax{60000};
    std::chrono::milliseconds requestTimeout{5000};
};

class StatusClient : public QObject {
    Q_OBJECT
public:
    explicit StatusClient(ClientOptions options, QObject* parent = nullptr);

    const ClientOptions& options() const { return m_options; }
    /// Replaces URL, token and timings (the settings dialog) and polls at once.
    void setOptions(ClientOptions options);
    /// Polls now, then keeps polling.
    void start();
    void pollNow();
    void request(AgentAction action);

    /// How long after the last poll's answer the next poll starts.
    std::chrono::milliseconds nextPollDelay() const;
    int consecutiveFailures() const { return m_failures; }

signals:
    void statusReceived(const gp::tray::AgentStatus& status);
    void problemOccurred(gp::tray::Problem problem, const QString& detail);
    void actionFinished(const gp::tray::ActionResult& result);

private:
    struct Prepared {
        QNetworkRequest request;
        QString error; // the settings problem that stops the request
    };
    /// The request with token and trusted CAs, both read from their files now.
    Prepared prepare(const QString& path) const;
    QString readToken(QString& error) const;
    void onStatusReply(QNetworkReply* reply);
    void onActionReply(QNetworkReply* reply, AgentAction action);
    void fail(Problem problem, const QString& detail);
    void scheduleNextPoll();

    ClientOptions m_options;
    QNetworkAccessManager m_network;
    QTimer m_pollTimer;
    QPointer<QNetworkReply> m_statusReply;
    int m_failures = 0;
};

} // namespace gp::tray
