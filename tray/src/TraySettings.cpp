#include <gp/tray/TraySettings.hpp>

namespace gp::tray {

namespace {

const QString kAgentUrl = QStringLiteral("agentUrl");
const QString kTokenFile = QStringLiteral("tokenFile");
const QString kToken = QStringLiteral("token");
const QString kCaFile = QStringLiteral("caFile");

} // namespace

TraySettings TraySettings::load(const QSettings& store) {
    TraySettings settings;
    settings.agentUrl =
        QUrl(store.value(kAgentUrl, settings.agentUrl.toString()).toString().trimmed());
    settings.tokenFile = store.value(kTokenFile).toString().trimmed();
    settings.token = store.value(kToken).toString().trimmed();
    settings.caFile = store.value(kCaFile).toString().trimmed();
    return settings;
}

void TraySettings::save(QSettings& store) const {
    store.setValue(kAgentUrl, agentUrl.toString());
    store.setValue(kTokenFile, tokenFile);
    store.setValue(kCaFile, caFile);
    if (token.isEmpty()) {
        store.remove(kToken);
    } else {
        store.setValue(kToken, token);
    }
}

QString TraySettings::problem() const {
    if (!agentUrl.isValid() || agentUrl.host().isEmpty()) {
        return QStringLiteral("agent URL: not a URL with a host (%1)").arg(agentUrl.toString());
    }
    const auto scheme = agentUrl.scheme();
    if (scheme != QLatin1String("http") && scheme != QLatin1String("https")) {
        return QStringLiteral("agent URL: must start with http:// or https:// (%1)")
            .arg(agentUrl.toString());
    }
    if (tokenFile.isEmpty() && token.isEmpty()) {
        return QStringLiteral("token file: not set (ask the IT lead for the tray's read token)");
    }
    return QString();
}

ClientOptions TraySettings::clientOptions(ClientOptions timings) const {
    timings.agentUrl = agentUrl;
    timings.tokenFile = tokenFile;
    timings.token = token;
    timings.caFile = caFile;
    return timings;
}

} // namespace gp::tray
