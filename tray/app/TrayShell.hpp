#pragma once

#include "StatusWindow.hpp"

#include <gp/tray/StatusClient.hpp>
#include <gp/tray/StatusPresenter.hpp>
#include <gp/tray/TraySettings.hpp>

#include <QMenu>
#include <QObject>
#include <QSystemTrayIcon>
#include <QTimer>
#include <map>
#include <memory>

namespace gp::tray {

/// Wires the client to the presenter and draws what the presenter decides: the tray icon when
/// the desktop has a tray, the always-on-top status window when it has none (or when asked).
class TrayShell : public QObject {
    Q_OBJECT
public:
    struct Options {
        TraySettings settings;
        ClientOptions timings;
        bool alwaysShowWindow = false;
    };

    explicit TrayShell(Options options);
    void start();

private:
    void buildMenu();
    void refresh();
    void placeIcon();
    void openSettings();
    void run(MenuItem item);

    Options m_options;
    StatusClient m_client;
    StatusPresenter m_presenter;
    QMenu m_menu;
    std::map<MenuItem, QAction*> m_actions;
    StatusWindow m_window;
    std::unique_ptr<QSystemTrayIcon> m_icon;
    QTimer m_trayWatch; // a panel started after the tray still gets the icon
};

} // namespace gp::tray
