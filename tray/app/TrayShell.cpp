#include "TrayShell.hpp"

#include "SettingsDialog.hpp"
#include "StateIcon.hpp"

#include <QApplication>
#include <QDesktopServices>

namespace gp::tray {

TrayShell::TrayShell(Options options)
    : m_options(std::move(options)), m_client(m_options.settings.clientOptions(m_options.timings)),
      m_presenter(m_options.settings.agentUrl), m_window(&m_menu) {
    buildMenu();
    connect(&m_client, &StatusClient::statusReceived, this, [this](const AgentStatus& status) {
        m_presenter.showStatus(status);
        refresh();
    });
    connect(&m_client, &StatusClient::problemOccurred, this,
            [this](Problem problem, const QString& detail) {
                m_presenter.showProblem(problem, detail);
                refresh();
            });
    connect(&m_client, &StatusClient::actionFinished, this, [this](const ActionResult& result) {
        m_presenter.showActionResult(result);
        refresh();
    });
    m_trayWatch.setInterval(2000);
    connect(&m_trayWatch, &QTimer::timeout, this, &TrayShell::placeIcon);
}

void TrayShell::buildMenu() {
    for (const auto& entry : m_presenter.view().menu) {
        auto* action = m_menu.addAction(entry.label);
        const auto item = entry.item;
        connect(action, &QAction::triggered, this, [this, item] { run(item); });
        m_actions[item] = action;
        if (item == MenuItem::PauseResume) {
            m_menu.addSeparator();
        }
    }
}

void TrayShell::start() {
    placeIcon();
    if (!m_icon) {
        m_trayWatch.start();
    }
    refresh();
    m_client.start();
}

void TrayShell::placeIcon() {
    if (!m_icon && QSystemTrayIcon::isSystemTrayAvailable()) {
        m_icon = std::make_unique<QSystemTrayIcon>();
        m_icon->setContextMenu(&m_menu);
        connect(m_icon.get(), &QSystemTrayIcon::activated, this,
                [this](QSystemTrayIcon::ActivationReason reason) {
                    if (reason == QSystemTrayIcon::Trigger) {
                        m_window.show();
                        m_window.raise();
                    }
                });
        m_trayWatch.stop();
        refresh();
        m_icon->show();
    }
    if (m_icon && !m_options.alwaysShowWindow) {
        m_window.hide();
    } else {
        m_window.show();
    }
}

void TrayShell::refresh() {
    const auto view = m_presenter.view();
    for (const auto& entry : view.menu) {
        auto* action = m_actions.at(entry.item);
        action->setText(entry.reason.isEmpty() ? entry.label
                                               : entry.label + QStringLiteral(" (") + entry.reason +
                                                     QStringLiteral(")"));
        action->setEnabled(entry.enabled);
    }
    m_window.showView(view);
    if (m_icon) {
        m_icon->setIcon(stateIcon(view.state));
        m_icon->setToolTip(view.tooltip);
    }
    for (const auto& notification : m_presenter.takeNotifications()) {
        if (m_icon && QSystemTrayIcon::supportsMessages()) {
            m_icon->showMessage(notification.title, notification.body,
                                notification.warning ? QSystemTrayIcon::Warning
                                                     : QSystemTrayIcon::Information,
                                15000);
        }
        m_window.showNotification(notification);
        if (!m_icon) {
            QApplication::alert(&m_window);
        }
    }
}

void TrayShell::run(MenuItem item) {
    switch (item) {
    case MenuItem::OpenStatusPage:
        QDesktopServices::openUrl(m_presenter.statusPageUrl());
        return;
    case MenuItem::RetryFailed:
    case MenuItem::PauseResume:
        for (const auto& entry : m_presenter.view().menu) {
            if (entry.item == item && entry.action && entry.enabled) {
                m_client.request(*entry.action);
            }
        }
        return;
    case MenuItem::Settings:
        openSettings();
        return;
    case MenuItem::Quit:
        QApplication::quit();
        return;
    }
}

void TrayShell::openSettings() {
    SettingsDialog dialog(m_options.settings);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    m_options.settings = dialog.settings();
    QSettings store;
    m_options.settings.save(store);
    m_presenter.setAgentUrl(m_options.settings.agentUrl);
    m_client.setOptions(m_options.settings.clientOptions(m_options.timings));
    refresh();
}

} // namespace gp::tray
