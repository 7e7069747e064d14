#include <gp/tray/StatusPresenter.hpp>

#include <algorithm>

namespace gp::tray {

namespace {

// Messages queued longer than this are stuck, not flowing, even with no retries counted.
constexpr double kStuckQueueSeconds = 300.0;

// What needs a person: the agent says so when it can; older agents get the sum of failures.
qint64 attentionOf(const AgentStatus& status) {
    return status.needsAttention.value_or(status.counts.failed + status.counts.expired +
                                          status.gp2gpFailed);
}

QString plural(qint64 count, const char* one, const char* many) {
    return QStringLiteral("%1 %2").arg(count).arg(QLatin1String(count == 1 ? one : many));
}

QString needingAttention(qint64 count) {
    return count == 1 ? QStringLiteral("1 item needs attention")
                      : QStringLiteral("%1 items need attention").arg(count);
}

QString relativeAge(qint64 seconds, const QDateTime& when) {
    if (seconds < 60) {
        return QStringLiteral("just now");
    }
    if (seconds < 3600) {
        return QStringLiteral("%1 min ago").arg(seconds / 60);
    }
    if (seconds < 48 * 3600) {
        return QStringLiteral("%1 h ago").arg(seconds / 3600);
    }
    return QStringLiteral("on %1").arg(when.toLocalTime().toString(QStringLiteral("d MMM yyyy")));
}

QString actionName(AgentAction action) {
    switch (action) {
    case AgentAction::RetryFailed:
        return QStringLiteral("Retry all failed");
    case AgentAction::Pause:
        return QStringLiteral("Pause sending");
    case AgentAction::Resume:
        return QStringLiteral("Resume sending");
    }
    return QString();
}

constexpr auto kNeedsOperate = "needs an operate token";

} // namespace

QString iconStateName(IconState state) {
    switch (state) {
    case IconState::Green:
        return QStringLiteral("green");
    case IconState::Amber:
        return QStringLiteral("amber");
    case IconState::Red:
        return QStringLiteral("red");
    }
    return QString();
}

StatusPresenter::StatusPresenter(QUrl agentUrl, Clock clock)
    : m_agentUrl(std::move(agentUrl)), m_clock(std::move(clock)) {}

void StatusPresenter::setAgentUrl(QUrl agentUrl) {
    // Another agent: its counts are not comparable with the last one's, and its token may
    // allow what the old one refused.
    m_agentUrl = std::move(agentUrl);
    m_status.reset();
    m_problem = Problem::None;
    m_problemDetail.clear();
    m_operateRefused = false;
}

QUrl StatusPresenter::statusPageUrl() const {
    auto url = m_agentUrl;
    url.setPath(QStringLiteral("/"));
    return url;
}

void StatusPresenter::showStatus(const AgentStatus& status) {
    if (m_status) {
        notifyRises(*m_status, status);
    }
    if (status.scope == TokenScope::Operate || status.scope == TokenScope::Full) {
        m_operateRefused = false;
    }
    m_status = status;
    m_problem = Problem::None;
    m_problemDetail.clear();
}

void StatusPresenter::notifyRises(const AgentStatus& before, const AgentStatus& after) {
    const auto newAttention = std::max(attentionOf(after) - attentionOf(before),
                                       after.counts.failed - before.counts.failed);
    if (newAttention > 0) {
        m_pending.push_back({Notification::Kind::MessageFailed, QStringLiteral("A message failed"),
                             needingAttention(attentionOf(after)) +
                                 QStringLiteral(". Open the status page to see why."),
                             true});
    }
    if (before.gp2gpCompleted && after.gp2gpCompleted &&
        *after.gp2gpCompleted > *before.gp2gpCompleted) {
        const auto arrived = *after.gp2gpCompleted - *before.gp2gpCompleted;
        m_pending.push_back({Notification::Kind::RecordArrived,
                             QStringLiteral("A patient record has arrived"),
                             QStringLiteral("%1 received by GP2GP. Open the status page to see it.")
                                 .arg(plural(arrived, "record", "records")),
                             false});
    }
}

void StatusPresenter::showProblem(Problem problem, const QString& detail) {
    if (problem == Problem::None) {
        return;
    }
    // One notification when the link is lost, not one for every failed poll.
    if (m_problem == Problem::None && m_status) {
        m_pending.push_back({Notification::Kind::AgentLost,
                             QStringLiteral("gp-agent cannot be reached"),
                             QStringLiteral("The tray lost contact with the agent at %1: %2")
                                 .arg(m_agentUrl.toDisplayString(), detail),
                             true});
    }
    m_problem = problem;
    m_problemDetail = detail;
}

void StatusPresenter::showActionResult(const ActionResult& result) {
    const auto name = actionName(result.action);
    switch (result.problem) {
    case Problem::None: {
        QString body = QStringLiteral("Done.");
        if (result.retried) {
            body = QStringLiteral("%1 sent again.")
                       .arg(plural(*result.retried, "message", "messages"));
        } else if (result.paused) {
            body = *result.paused ? QStringLiteral("Sending is paused until you resume it.")
                                  : QStringLiteral("Sending has resumed.");
        }
        m_pending.push_back({Notification::Kind::ActionDone, name, body, false});
        return;
    }
    case Problem::Forbidden:
        m_operateRefused = true;
        m_pending.push_back({Notification::Kind::ActionRefused,
                             name + QStringLiteral(" is not allowed"),
                             QStringLiteral("This workstation's token may only read the status. "
                                            "Ask the practice's IT lead for a token with the "
                                            "operate scope."),
                             true});
        return;
    default:
        m_pending.push_back({Notification::Kind::ActionRefused, name + QStringLiteral(" failed"),
                             result.detail.isEmpty()
                                 ? QStringLiteral("HTTP %1").arg(result.httpStatus)
                                 : result.detail,
                             true});
        return;
    }
}

std::vector<Notification> StatusPresenter::takeNotifications() {
    return std::exchange(m_pending, {});
}

bool StatusPresenter::mayOperate() const {
    if (m_status && m_status->scope != TokenScope::Unknown) {
        return m_status->scope != TokenScope::Read;
    }
    return !m_operateRefused;
}

IconState StatusPresenter::state() const {
    if (m_problem != Problem::None) {
        return IconState::Red;
    }
    if (!m_status) {
        return IconState::Amber; // connecting
    }
    const auto& s = *m_status;
    if (attentionOf(s) > 0 || s.storageProblem) {
        return IconState::Red;
    }
    const bool stuck = s.oldestQueuedAgeSeconds && *s.oldestQueuedAgeSeconds > kStuckQueueSeconds;
    if (s.paused || s.counts.retryWait > 0 || s.gp2gpInProgress > 0 || stuck) {
        return IconState::Amber;
    }
    return IconState::Green;
}

QString StatusPresenter::lastSentText() const {
    const auto& last = m_status->lastSentAt ? m_status->lastSentAt : m_status->lastAckedAt;
    if (!last) {
        return QStringLiteral("nothing sent yet");
    }
    const auto seconds = std::max<qint64>(0, last->secsTo(m_clock()));
    return QStringLiteral("last sent ") + relativeAge(seconds, *last);
}

QString StatusPresenter::tooltip() const {
    const auto agent = m_agentUrl.toDisplayString();
    switch (m_problem) {
    case Problem::None:
        break;
    case Problem::Unreachable:
        return QStringLiteral("Cannot reach the agent at %1 (%2). Trying again.")
            .arg(agent, m_problemDetail);
    case Problem::Misconfigured:
        return QStringLiteral("The tray's settings need fixing: %1. Open Settings.")
            .arg(m_problemDetail);
    case Problem::TokenRefused:
        return QStringLiteral("The agent at %1 refused the tray's token. Check the token file in "
                              "Settings.")
            .arg(agent);
    case Problem::Forbidden:
        return QStringLiteral("The agent at %1 does not let this token read the status (%2).")
            .arg(agent, m_problemDetail);
    case Problem::BadReply:
        return QStringLiteral("The agent at %1 answered something the tray does not understand: %2")
            .arg(agent, m_problemDetail);
    }
    if (!m_status) {
        return QStringLiteral("Connecting to the agent at %1").arg(agent);
    }
    const auto& s = *m_status;
    QString text = QStringLiteral("%1 queued, %2 retrying, %3 failed")
                       .arg(s.counts.queued + s.counts.sending)
                       .arg(s.counts.retryWait)
                       .arg(s.counts.failed);
    if (s.counts.expired > 0) {
        text += QStringLiteral(", %1 expired").arg(s.counts.expired);
    }
    text += QStringLiteral("; ") + lastSentText();
    if (s.storageProblem) {
        text +=
            QStringLiteral("\nThe agent cannot store new work (storage %1)").arg(*s.storageProblem);
    }
    if (s.paused) {
        text += QStringLiteral("\nSending is paused");
    }
    if (s.gp2gpInProgress > 0 || s.gp2gpFailed > 0) {
        text += QStringLiteral("\nGP2GP: %1 in progress, %2 failed")
                    .arg(s.gp2gpInProgress)
                    .arg(s.gp2gpFailed);
    }
    if (attentionOf(s) > 0) {
        text += QStringLiteral("\n") + needingAttention(attentionOf(s));
    }
    return text;
}

QString StatusPresenter::headline() const {
    if (m_problem != Problem::None) {
        return m_problem == Problem::Unreachable ? QStringLiteral("Agent cannot be reached")
                                                 : QStringLiteral("Agent refused the tray");
    }
    switch (state()) {
    case IconState::Green:
        return QStringLiteral("Everything is flowing");
    case IconState::Amber:
        if (!m_status) {
            return QStringLiteral("Connecting");
        }
        if (m_status->paused) {
            return QStringLiteral("Sending is paused");
        }
        if (m_status->counts.retryWait > 0) {
            return QStringLiteral("Waiting to send again");
        }
        return m_status->gp2gpInProgress > 0 ? QStringLiteral("Record transfer in progress")
                                             : QStringLiteral("Messages waiting a while");
    case IconState::Red:
        return QStringLiteral("Needs attention");
    }
    return QString();
}

std::vector<MenuEntry> StatusPresenter::menu() const {
    const bool operate = mayOperate();
    const QString scopeReason = operate ? QString() : QLatin1String(kNeedsOperate);
    std::vector<MenuEntry> entries;
    entries.push_back(
        {MenuItem::OpenStatusPage, QStringLiteral("Open status page"), true, {}, std::nullopt});

    const qint64 failed = connected() ? m_status->counts.failed : 0;
    MenuEntry retry{MenuItem::RetryFailed, QStringLiteral("Retry all failed"), false, scopeReason,
                    AgentAction::RetryFailed};
    if (failed > 0) {
        retry.label += QStringLiteral(" (%1)").arg(failed);
    }
    retry.enabled = connected() && operate && failed > 0;
    entries.push_back(retry);

    const bool paused = connected() && m_status->paused;
    entries.push_back({MenuItem::PauseResume,
                       paused ? QStringLiteral("Resume sending") : QStringLiteral("Pause sending"),
                       connected() && operate, scopeReason,
                       paused ? AgentAction::Resume : AgentAction::Pause});
    entries.push_back({MenuItem::Settings, QStringLiteral("Settings…"), true, {}, std::nullopt});
    entries.push_back({MenuItem::Quit, QStringLiteral("Quit"), true, {}, std::nullopt});
    return entries;
}

TrayView StatusPresenter::view() const {
    return {state(), headline(), tooltip(), menu()};
}

} // namespace gp::tray
