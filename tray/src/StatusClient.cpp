#include <gp/tray/StatusClient.hpp>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <algorithm>

namespace gp::tray {

namespace {

int httpStatusOf(QNetworkReply* reply) {
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

// The agent answers errors as {"errors": [{"field": ..., "message": ...}]}.
QString agentErrorMessage(const QByteArray& body) {
    const auto errors = QJsonDocument::fromJson(body).object().value(QLatin1String("errors"));
    const auto first = errors.toArray().first().toObject();
    return first.value(QLatin1String("message")).toString();
}

Problem problemForHttpStatus(int status) {
    switch (status) {
    case 401:
        return Problem::TokenRefused;
    case 403:
        return Problem::Forbidden;
    default:
        return Problem::BadReply;
    }
}

const char* pathOf(AgentAction action) {
    switch (action) {
    case AgentAction::RetryFailed:
        return "/v1/messages/retry-failed";
    case AgentAction::Pause:
        return "/v1/dispatch/pause";
    case AgentAction::Resume:
        return "/v1/dispatch/resume";
    }
    return "";
}

} // namespace

StatusClient::StatusClient(ClientOptions options, QObject* parent)
    : QObject(parent), m_options(std::move(options)) {
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &StatusClient::pollNow);
}

void StatusClient::setOptions(ClientOptions options) {
    m_options = std::move(options);
    m_failures = 0;
    if (m_statusReply) {
        // The old agent's answer no longer matters: drop it without reporting a failure.
        m_statusReply->disconnect(this);
        m_statusReply->abort();
        m_statusReply->deleteLater();
        m_statusReply = nullptr;
    }
    pollNow();
}

void StatusClient::start() {
    pollNow();
}

std::chrono::milliseconds StatusClient::nextPollDelay() const {
    if (m_failures == 0) {
        return m_options.pollInterval;
    }
    auto delay = m_options.backoffBase;
    for (int i = 1; i < m_failures && delay < m_options.backoffMax; ++i) {
        delay *= 2;
    }
    return std::min(delay, m_options.backoffMax);
}

QString StatusClient::readToken(QString& error) const {
    if (m_options.tokenFile.isEmpty()) {
        if (m_options.token.isEmpty()) {
            error = QStringLiteral("no token file or token is set");
        }
        return m_options.token;
    }
    QFile file(m_options.tokenFile);
    if (!file.open(QIODevice::ReadOnly)) {
        error = QStringLiteral("token file %1 cannot be read: %2")
                    .arg(m_options.tokenFile, file.errorString());
        return QString();
    }
    const auto token = QString::fromUtf8(file.readAll()).trimmed();
    if (token.isEmpty()) {
        error = QStringLiteral("token file %1 is empty").arg(m_options.tokenFile);
    }
    return token;
}

StatusClient::Prepared StatusClient::prepare(const QString& path) const {
    Prepared prepared;
    const auto token = readToken(prepared.error);
    if (!prepared.error.isEmpty()) {
        return prepared;
    }
    auto url = m_options.agentUrl;
    auto base = url.path();
    while (base.endsWith(QLatin1Char('/'))) {
        base.chop(1);
    }
    url.setPath(base + path);
    prepared.request.setUrl(url);
    prepared.request.setRawHeader("Authorization", "Bearer " + token.toUtf8());
    prepared.request.setTransferTimeout(static_cast<int>(m_options.requestTimeout.count()));
    if (!m_options.caFile.isEmpty()) {
        const auto authorities = QSslCertificate::fromPath(m_options.caFile, QSsl::Pem);
        if (authorities.isEmpty()) {
            prepared.error =
                QStringLiteral("CA file %1 holds no PEM certificate (or cannot be read)")
                    .arg(m_options.caFile);
            return prepared;
        }
        auto tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(authorities);
        prepared.request.setSslConfiguration(tls);
    }
    return prepared;
}

void StatusClient::pollNow() {
    m_pollTimer.stop();
    if (m_statusReply) {
        return; // the answer to the poll in flight schedules the next one
    }
    const auto prepared = prepare(QStringLiteral("/v1/status"));
    if (!prepared.error.isEmpty()) {
        fail(Problem::Misconfigured, prepared.error);
        return;
    }
    m_statusReply = m_network.get(prepared.request);
    QNetworkReply* reply = m_statusReply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onStatusReply(reply); });
}

void StatusClient::onStatusReply(QNetworkReply* reply) {
    reply->deleteLater();
    m_statusReply = nullptr; // answered: the next poll may start
    const auto status = httpStatusOf(reply);
    const auto body = reply->readAll();
    if (status == 0) {
        fail(Problem::Unreachable, reply->errorString());
        return;
    }
    if (status != 200) {
        const auto message = agentErrorMessage(body);
        fail(problemForHttpStatus(status),
             QStringLiteral("HTTP %1%2")
                 .arg(status)
                 .arg(message.isEmpty() ? QString() : ": " + message));
        return;
    }
    auto parsed = parseAgentStatus(body);
    if (!parsed.status) {
        fail(Problem::BadReply, parsed.error);
        return;
    }
    m_failures = 0;
    scheduleNextPoll();
    emit statusReceived(*parsed.status);
}

void StatusClient::fail(Problem problem, const QString& detail) {
    ++m_failures;
    scheduleNextPoll();
    emit problemOccurred(problem, detail);
}

void StatusClient::scheduleNextPoll() {
    m_pollTimer.start(nextPollDelay());
}

void StatusClient::request(AgentAction action) {
    auto prepared = prepare(QLatin1String(pathOf(action)));
    if (!prepared.error.isEmpty()) {
        ActionResult result;
        result.action = action;
        result.problem = Problem::Misconfigured;
        result.detail = prepared.error;
        emit actionFinished(result);
        return;
    }
    auto& request = prepared.request;
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    QNetworkReply* reply = m_network.post(request, QByteArrayLiteral("{}"));
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, action] { onActionReply(reply, action); });
}

void StatusClient::onActionReply(QNetworkReply* reply, AgentAction action) {
    reply->deleteLater();
    ActionResult result;
    result.action = action;
    result.httpStatus = httpStatusOf(reply);
    const auto body = reply->readAll();
    if (result.httpStatus == 0) {
        result.problem = Problem::Unreachable;
        result.detail = reply->errorString();
    } else if (result.httpStatus / 100 != 2) {
        result.problem = problemForHttpStatus(result.httpStatus);
        result.detail = agentErrorMessage(body);
    } else {
        const auto object = QJsonDocument::fromJson(body).object();
        if (object.value(QLatin1String("retried")).isDouble()) {
            result.retried = static_cast<qint64>(object.value(QLatin1String("retried")).toDouble());
        }
        if (object.value(QLatin1String("paused")).isBool()) {
            result.paused = object.value(QLatin1String("paused")).toBool();
        }
    }
    emit actionFinished(result);
    pollNow(); // show the action's effect without waiting for the timer
}

} // namespace gp::tray
