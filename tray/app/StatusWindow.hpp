#pragma once

#include <gp/tray/StatusPresenter.hpp>

#include <QLabel>
#include <QPushButton>
#include <QWidget>

class QMenu;

namespace gp::tray {

/// A small always-on-top window with the same colour, text and menu as the tray icon: shown
/// when the desktop has no system tray, or when the icon is clicked.
class StatusWindow : public QWidget {
    Q_OBJECT
public:
    explicit StatusWindow(QMenu* menu);
    void showView(const TrayView& view);
    void showNotification(const Notification& notification);

private:
    QLabel m_light;
    QLabel m_headline;
    QLabel m_details;
    QLabel m_lastNotification;
    QPushButton m_menuButton;
};

} // namespace gp::tray
