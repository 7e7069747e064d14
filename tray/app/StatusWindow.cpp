#include "StatusWindow.hpp"

#include "StateIcon.hpp"

#include <QHBoxLayout>
#include <QMenu>
#include <QVBoxLayout>

namespace gp::tray {

StatusWindow::StatusWindow(QMenu* menu)
    : QWidget(nullptr, Qt::Window | Qt::WindowStaysOnTopHint),
      m_menuButton(QStringLiteral("Menu")) {
    setWindowTitle(QStringLiteral("gp-agent status"));
    setWindowIcon(stateIcon(IconState::Amber));
    QFont bold = m_headline.font();
    bold.setBold(true);
    m_headline.setFont(bold);
    m_headline.setWordWrap(true);
    m_details.setWordWrap(true);
    m_lastNotification.setWordWrap(true);
    m_menuButton.setMenu(menu);

    auto* text = new QVBoxLayout;
    text->addWidget(&m_headline);
    text->addWidget(&m_details);
    text->addWidget(&m_lastNotification);
    auto* row = new QHBoxLayout(this);
    row->addWidget(&m_light, 0, Qt::AlignTop);
    row->addLayout(text, 1);
    row->addWidget(&m_menuButton, 0, Qt::AlignTop);
    // A fixed width lets the wrapped text decide the height (see showView).
    setFixedWidth(400);
    m_lastNotification.hide();
}

void StatusWindow::showView(const TrayView& view) {
    const auto icon = stateIcon(view.state);
    m_light.setPixmap(icon.pixmap(48, 48));
    setWindowIcon(icon);
    m_headline.setText(view.headline);
    m_details.setText(view.tooltip);
    adjustSize();
}

void StatusWindow::showNotification(const Notification& notification) {
    m_lastNotification.setText(notification.title + QStringLiteral(": ") + notification.body);
    m_lastNotification.show();
    adjustSize();
}

} // namespace gp::tray
