#pragma once

// Every rule for what the tray shows lives here: the colour, the tooltip, which menu items are
// offered, and when to pop up a notification. The shell only draws what this decides.

#include <gp/tray/AgentStatus.hpp>
#include <gp/tray/StatusClient.hpp>

#include <QDateTime>
#include <QString>
#include <QUrl>
#include <functional>
#include <optional>
#include <vector>

namespace gp::tray {

enum class IconState { Green, Amber, Red };

enum class MenuItem { OpenStatusPage, RetryFailed, PauseResume, Settings, Quit };

struct MenuEntry {
    MenuItem item = MenuItem::OpenStatusPage;
    QString label;
    bool enabled = true;
    QString reason;                    // why it is disabled, shown beside the label
    std::optional<AgentAction> action; // what choosing it asks the agent to do
};

struct Notification {
    enum class Kind { MessageFailed, RecordArrived, AgentLost, ActionDone, ActionRefused };
    Kind kind = Kind::MessageFailed;
    QString title;
    QString body;
    bool warning = false;
};

struct TrayView {
    IconState state = IconState::Red;
    QString headline; // one short line for the status window
    QString tooltip;
    std::vector<MenuEntry> menu;
};

QString iconStateName(IconState state);

class StatusPresenter {
public:
    using Clock = std::function<QDateTime()>;

    explicit StatusPresenter(QUrl agentUrl, Clock clock = &QDateTime::currentDateTimeUtc);

    void setAgentUrl(QUrl agentUrl);
    const QUrl& agentUrl() const { return m_agentUrl; }
    QUrl statusPageUrl() const;

    void showStatus(const AgentStatus& status);
    void showProblem(Problem problem, const QString& detail);
    void showActionResult(const ActionResult& result);

    /// What to show now; "last sent N min ago" is measured against the clock at this call.
    TrayView view() const;
    /// Notifications raised since the last call, oldest first.
    std::vector<Notification> takeNotifications();

private:
    bool connected() const { return m_problem == Problem::None && m_status.has_value(); }
    bool mayOperate() const;
    IconState state() const;
    QString tooltip() const;
    QString headline() const;
    std::vector<MenuEntry> menu() const;
    QString lastSentText() const;
    void notifyRises(const AgentStatus& before, const AgentStatus& after);

    QUrl m_agentUrl;
    Clock m_clock;
    std::optional<AgentStatus> m_status; // the last status received, kept through problems
    Problem m_problem = Problem::None;
    QString m_problemDetail;
    bool m_operateRefused = false; // an action was answered 403
    std::vector<Notification> m_pending;
};

} // namespace gp::tray
