#pragma once

// The user's tray settings: which agent to watch and how to prove the tray may. Stored with
// QSettings (on Linux ~/.config/gp-agent/tray.conf); command-line options override them.

#include <gp/tray/StatusClient.hpp>

#include <QSettings>
#include <QString>
#include <QUrl>

namespace gp::tray {

struct TraySettings {
    QUrl agentUrl{QStringLiteral("http://127.0.0.1:7670")};
    QString tokenFile;
    QString token;  // only when there is no token file the user can read
    QString caFile; // when the agent's HTTPS certificate comes from the practice's own CA

    static TraySettings load(const QSettings& store);
    void save(QSettings& store) const;

    /// Empty when usable; otherwise names the setting that is wrong.
    QString problem() const;
    ClientOptions clientOptions(ClientOptions timings = {}) const;
};

} // namespace gp::tray
