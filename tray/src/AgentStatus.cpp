#include <gp/tray/AgentStatus.hpp>

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>

namespace gp::tray {

namespace {

// Reads optional fields of one JSON object, remembering the first one of the wrong type.
class FieldReader {
public:
    FieldReader(const QJsonObject& object, QString prefix)
        : m_object(object), m_prefix(std::move(prefix)) {}

    qint64 count(const QString& name, QString& error) const {
        const auto value = m_object.value(name);
        if (value.isUndefined() || value.isNull()) {
            return 0;
        }
        if (!value.isDouble() || value.toDouble() < 0) {
            noteError(error, name, "a count (a number, 0 or more)");
            return 0;
        }
        return static_cast<qint64>(value.toDouble());
    }

    std::optional<qint64> optionalCount(const QString& name, QString& error) const {
        if (m_object.value(name).isUndefined() || m_object.value(name).isNull()) {
            return std::nullopt;
        }
        return count(name, error);
    }

    std::optional<double> optionalNumber(const QString& name, QString& error) const {
        const auto value = m_object.value(name);
        if (value.isUndefined() || value.isNull()) {
            return std::nullopt;
        }
        if (!value.isDouble()) {
            noteError(error, name, "a number");
            return std::nullopt;
        }
        return value.toDouble();
    }

    std::optional<QDateTime> optionalTime(const QString& name, QString& error) const {
        const auto value = m_object.value(name);
        if (value.isUndefined() || value.isNull()) {
            return std::nullopt;
        }
        const auto time = QDateTime::fromString(value.toString(), Qt::ISODateWithMs);
        if (!value.isString() || !time.isValid()) {
            noteError(error, name, "an ISO 8601 time");
            return std::nullopt;
        }
        return time;
    }

    bool flag(const QString& name, QString& error) const {
        const auto value = m_object.value(name);
        if (value.isUndefined() || value.isNull()) {
            return false;
        }
        if (!value.isBool()) {
            noteError(error, name, "true or false");
            return false;
        }
        return value.toBool();
    }

private:
    void noteError(QString& error, const QString& name, const char* expected) const {
        if (error.isEmpty()) {
            error = QStringLiteral("%1%2 is not %3").arg(m_prefix, name, QLatin1String(expected));
        }
    }

    QJsonObject m_object;
    QString m_prefix;
};

TokenScope scopeFromName(const QString& name) {
    if (name == QLatin1String("read")) {
        return TokenScope::Read;
    }
    if (name == QLatin1String("operate")) {
        return TokenScope::Operate;
    }
    if (name == QLatin1String("full")) {
        return TokenScope::Full;
    }
    return TokenScope::Unknown;
}

} // namespace

StatusParse parseAgentStatus(const QByteArray& json) {
    QJsonParseError parseError{};
    const auto document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        return {std::nullopt, QStringLiteral("status reply is not a JSON object (byte %1: %2)")
                                  .arg(parseError.offset)
                                  .arg(parseError.errorString())};
    }
    const auto root = document.object();
    if (!root.value(QLatin1String("counts")).isObject()) {
        return {std::nullopt, QStringLiteral("counts is missing or not an object")};
    }
    QString error;
    AgentStatus status;
    const FieldReader top(root, QString());
    const FieldReader counts(root.value(QLatin1String("counts")).toObject(),
                             QStringLiteral("counts."));
    status.counts.queued = counts.count(QStringLiteral("queued"), error);
    status.counts.sending = counts.count(QStringLiteral("sending"), error);
    status.counts.retryWait = counts.count(QStringLiteral("retry-wait"), error);
    status.counts.acked = counts.count(QStringLiteral("acked"), error);
    status.counts.failed = counts.count(QStringLiteral("failed"), error);
    status.counts.expired = counts.count(QStringLiteral("expired"), error);
    status.oldestQueuedAgeSeconds =
        top.optionalNumber(QStringLiteral("oldestQueuedAgeSeconds"), error);
    status.lastAckedAt = top.optionalTime(QStringLiteral("lastAckedAt"), error);
    status.lastSentAt = top.optionalTime(QStringLiteral("lastSentAt"), error);
    status.paused = top.flag(QStringLiteral("paused"), error);
    status.needsAttention = top.optionalCount(QStringLiteral("needsAttention"), error);

    const auto transportError = root.value(QLatin1String("lastTransportError"));
    if (transportError.isObject()) {
        const auto object = transportError.toObject();
        status.lastTransportError = object.value(QLatin1String("code")).toString() +
                                    QStringLiteral(": ") +
                                    object.value(QLatin1String("text")).toString();
    }
    const auto storage = root.value(QLatin1String("storage")).toObject();
    const auto storageState = storage.value(QLatin1String("state")).toString();
    if (!storageState.isEmpty() && storageState != QLatin1String("ok")) {
        status.storageProblem = storageState;
    }
    const auto gp2gp = root.value(QLatin1String("gp2gp"));
    if (gp2gp.isObject()) {
        const FieldReader transfers(gp2gp.toObject(), QStringLiteral("gp2gp."));
        status.gp2gpInProgress = transfers.count(QStringLiteral("inProgress"), error);
        status.gp2gpFailed = transfers.count(QStringLiteral("failed"), error);
        status.gp2gpCompleted = transfers.optionalCount(QStringLiteral("recordsReceived"), error);
    }
    const auto caller = root.value(QLatin1String("caller"));
    if (caller.isObject()) {
        status.scope = scopeFromName(caller.toObject().value(QLatin1String("scope")).toString());
    }
    if (!error.isEmpty()) {
        return {std::nullopt, error};
    }
    return {status, QString()};
}

} // namespace gp::tray
