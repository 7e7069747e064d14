#include "TrayTestSupport.hpp"

#include <gp/tray/StatusPresenter.hpp>

#include <doctest/doctest.h>

using namespace gp::tray;
using gp::tray::test::statusJson;

namespace {

AgentStatus status(const QByteArray& counts = R"({"acked": 4})", const QByteArray& extra = "") {
    auto parsed = parseAgentStatus(statusJson(counts, extra));
    REQUIRE_MESSAGE(parsed.status, parsed.error.toStdString());
    return *parsed.status;
}

// A presenter whose clock the test sets; the canned status was last acked at 09:00 UTC.
struct Fixture {
    QDateTime now = QDateTime(QDate(2026, 11, 21), QTime(9, 2, 0), Qt::UTC);
    StatusPresenter presenter{QUrl("http://practice-server:7670"), [this] { return now; }};

    const MenuEntry& entry(MenuItem item) {
        m_view = presenter.view();
        for (const auto& candidate : m_view.menu) {
            if (candidate.item == item) {
                return candidate;
            }
        }
        FAIL("no menu entry");
        return m_view.menu.front();
    }

private:
    TrayView m_view;
};

std::vector<Notification::Kind> kinds(const std::vector<Notification>& notifications) {
    std::vector<Notification::Kind> out;
    for (const auto& notification : notifications) {
        out.push_back(notification.kind);
    }
    return out;
}

} // namespace

TEST_SUITE("tray") {
    TEST_CASE("presenter: idle with everything acked is green with counts and last sent") {
        Fixture f;
        f.presenter.showStatus(status());
        const auto view = f.presenter.view();
        CHECK(view.state == IconState::Green);
        CHECK(view.tooltip == "0 queued, 0 retrying, 0 failed; last sent 2 min ago");
        CHECK(view.headline == "Everything is flowing");
    }

    TEST_CASE("presenter: messages being sent promptly stay green") {
        Fixture f;
        f.presenter.showStatus(status(R"({"queued": 2, "sending": 1, "acked": 4})",
                                      R"("oldestQueuedAgeSeconds": 4.0)"));
        CHECK(f.presenter.view().state == IconState::Green);
        CHECK(f.presenter.view().tooltip.startsWith("3 queued, 0 retrying, 0 failed;"));
    }

    TEST_CASE("presenter: waiting to retry, paused, a transfer or a stuck queue is amber") {
        Fixture f;
        SUBCASE("messages waiting to retry") {
            f.presenter.showStatus(status(R"({"queued": 3, "retry-wait": 1})"));
            CHECK(f.presenter.view().tooltip ==
                  "3 queued, 1 retrying, 0 failed; last sent 2 min ago");
            CHECK(f.presenter.view().headline == "Waiting to send again");
        }
        SUBCASE("sending paused") {
            f.presenter.showStatus(status(R"({"acked": 1})", R"("paused": true)"));
            CHECK(f.presenter.view().tooltip.endsWith("\nSending is paused"));
            CHECK(f.presenter.view().headline == "Sending is paused");
        }
        SUBCASE("a GP2GP transfer in progress") {
            f.presenter.showStatus(status(R"({})", R"("gp2gp": {"inProgress": 1, "failed": 0})"));
            CHECK(f.presenter.view().tooltip.endsWith("\nGP2GP: 1 in progress, 0 failed"));
            CHECK(f.presenter.view().headline == "Record transfer in progress");
        }
        SUBCASE("the oldest queued message waiting over five minutes") {
            f.presenter.showStatus(status(R"({"queued": 1})", R"("oldestQueuedAgeSeconds": 301)"));
            CHECK(f.presenter.view().headline == "Messages waiting a while");
        }
        CHECK(f.presenter.view().state == IconState::Amber);
    }

    TEST_CASE("presenter: before the first answer the tray is amber and says it is connecting") {
        Fixture f;
        CHECK(f.presenter.view().state == IconState::Amber);
        CHECK(f.presenter.view().tooltip ==
              "Connecting to the agent at http://practice-server:7670");
    }

    TEST_CASE("presenter: failed, expired or a failed transfer is red") {
        Fixture f;
        SUBCASE("a failed message") {
            f.presenter.showStatus(status(R"({"failed": 1, "acked": 3})"));
            CHECK(f.presenter.view().tooltip ==
                  "0 queued, 0 retrying, 1 failed; last sent 2 min ago\n1 item needs attention");
        }
        SUBCASE("an expired message") {
            f.presenter.showStatus(status(R"({"expired": 2})"));
            CHECK(f.presenter.view().tooltip.startsWith(
                "0 queued, 0 retrying, 0 failed, 2 expired;"));
        }
        SUBCASE("a failed GP2GP transfer") {
            f.presenter.showStatus(status(R"({})", R"("gp2gp": {"inProgress": 0, "failed": 1})"));
        }
        SUBCASE("the agent's store cannot write") {
            f.presenter.showStatus(status(R"({"acked": 1})", R"("storage": {"state": "full"})"));
            CHECK(f.presenter.view().tooltip.endsWith(
                "\nThe agent cannot store new work (storage full)"));
        }
        SUBCASE("the agent's own needsAttention") {
            f.presenter.showStatus(status(R"({"retry-wait": 1})", R"("needsAttention": 3)"));
            CHECK(f.presenter.view().tooltip.endsWith("\n3 items need attention"));
        }
        CHECK(f.presenter.view().state == IconState::Red);
        CHECK(f.presenter.view().headline == "Needs attention");
    }

    TEST_CASE("presenter: the agent's needsAttention decides over the tray's own sum") {
        // Failures staff have already dealt with stay counted as failed, but need nobody.
        Fixture f;
        f.presenter.showStatus(status(R"({"failed": 2, "acked": 3})", R"("needsAttention": 0)"));
        CHECK(f.presenter.view().state == IconState::Green);
    }

    TEST_CASE("presenter: an unreachable agent, a refused token and a forbidden status are red") {
        Fixture f;
        f.presenter.showStatus(status());
        SUBCASE("unreachable") {
            f.presenter.showProblem(Problem::Unreachable, "Connection refused");
            CHECK(f.presenter.view().tooltip ==
                  "Cannot reach the agent at http://practice-server:7670 "
                  "(Connection refused). Trying again.");
            CHECK(f.presenter.view().headline == "Agent cannot be reached");
        }
        SUBCASE("401") {
            f.presenter.showProblem(Problem::TokenRefused, "HTTP 401");
            CHECK(f.presenter.view().tooltip.contains("refused the tray's token"));
        }
        SUBCASE("403") {
            f.presenter.showProblem(Problem::Forbidden, "HTTP 403: scope too small");
            CHECK(f.presenter.view().tooltip.contains("does not let this token read the status"));
        }
        SUBCASE("no token file") {
            f.presenter.showProblem(Problem::Misconfigured, "token file /x cannot be read");
            CHECK(f.presenter.view().tooltip ==
                  "The tray's settings need fixing: token file /x cannot be read. Open Settings.");
        }
        SUBCASE("a reply the tray does not understand") {
            f.presenter.showProblem(Problem::BadReply, "counts.failed is not a count");
            CHECK(f.presenter.view().tooltip.endsWith(": counts.failed is not a count"));
        }
        CHECK(f.presenter.view().state == IconState::Red);
        CHECK_FALSE(f.entry(MenuItem::PauseResume).enabled);
        CHECK(f.entry(MenuItem::OpenStatusPage).enabled);
        CHECK(f.entry(MenuItem::Settings).enabled);

        f.presenter.showStatus(status()); // recovered
        CHECK(f.presenter.view().state == IconState::Green);
    }

    TEST_CASE("presenter: last sent is told in minutes, hours or a date") {
        Fixture f;
        f.presenter.showStatus(
            status(R"({"acked": 1})", R"("lastSentAt": "2026-11-21T09:01:30.000Z")"));
        CHECK(f.presenter.view().tooltip.endsWith("last sent just now"));
        f.now = f.now.addSecs(3 * 3600);
        CHECK(f.presenter.view().tooltip.endsWith("last sent 3 h ago"));
        f.now = f.now.addDays(3);
        CHECK(f.presenter.view().tooltip.endsWith("last sent on 21 Nov 2026"));

        auto neverSent = status();
        neverSent.lastAckedAt.reset();
        f.presenter.showStatus(neverSent);
        CHECK(f.presenter.view().tooltip.endsWith("nothing sent yet"));
    }

    TEST_CASE("presenter: actions are offered by scope, failures and pause state") {
        Fixture f;
        SUBCASE("a read token: retry and pause unavailable, saying why") {
            f.presenter.showStatus(status(R"({"failed": 2})", R"("caller": {"scope": "read"})"));
            CHECK_FALSE(f.entry(MenuItem::RetryFailed).enabled);
            CHECK(f.entry(MenuItem::RetryFailed).reason == "needs an operate token");
            CHECK_FALSE(f.entry(MenuItem::PauseResume).enabled);
            CHECK(f.entry(MenuItem::PauseResume).reason == "needs an operate token");
        }
        SUBCASE("an operate token with failures: retry offered with the count") {
            f.presenter.showStatus(status(R"({"failed": 2})", R"("caller": {"scope": "operate"})"));
            CHECK(f.entry(MenuItem::RetryFailed).enabled);
            CHECK(f.entry(MenuItem::RetryFailed).label == "Retry all failed (2)");
            CHECK(f.entry(MenuItem::RetryFailed).action == AgentAction::RetryFailed);
            CHECK(f.entry(MenuItem::PauseResume).label == "Pause sending");
            CHECK(f.entry(MenuItem::PauseResume).action == AgentAction::Pause);
        }
        SUBCASE("nothing failed: retry disabled") {
            f.presenter.showStatus(status(R"({"acked": 2})", R"("caller": {"scope": "full"})"));
            CHECK_FALSE(f.entry(MenuItem::RetryFailed).enabled);
            CHECK(f.entry(MenuItem::RetryFailed).reason.isEmpty());
        }
        SUBCASE("paused: the item resumes") {
            f.presenter.showStatus(
                status(R"({})", R"("paused": true, "caller": {"scope": "operate"})"));
            CHECK(f.entry(MenuItem::PauseResume).label == "Resume sending");
            CHECK(f.entry(MenuItem::PauseResume).action == AgentAction::Resume);
            CHECK(f.entry(MenuItem::PauseResume).enabled);
        }
    }

    TEST_CASE("presenter: an action answered 403 makes the actions unavailable and says why") {
        // An agent that does not report the token's scope: offered until the agent says no.
        Fixture f;
        f.presenter.showStatus(status(R"({"failed": 1})"));
        CHECK(f.entry(MenuItem::RetryFailed).enabled);
        ActionResult refused;
        refused.action = AgentAction::RetryFailed;
        refused.problem = Problem::Forbidden;
        refused.httpStatus = 403;
        f.presenter.showActionResult(refused);
        CHECK_FALSE(f.entry(MenuItem::RetryFailed).enabled);
        CHECK(f.entry(MenuItem::PauseResume).reason == "needs an operate token");
        const auto notes = f.presenter.takeNotifications();
        REQUIRE(notes.size() == 1);
        CHECK(notes[0].kind == Notification::Kind::ActionRefused);
        CHECK(notes[0].title == "Retry all failed is not allowed");
        CHECK(notes[0].body.contains("operate scope"));

        f.presenter.setAgentUrl(QUrl("http://other-server:7670")); // another agent, another token
        f.presenter.showStatus(status(R"({"failed": 1})"));
        CHECK(f.entry(MenuItem::RetryFailed).enabled);
    }

    TEST_CASE("presenter: successful actions are confirmed") {
        Fixture f;
        ActionResult retried;
        retried.action = AgentAction::RetryFailed;
        retried.retried = 3;
        f.presenter.showActionResult(retried);
        ActionResult paused;
        paused.action = AgentAction::Pause;
        paused.paused = true;
        f.presenter.showActionResult(paused);
        const auto notes = f.presenter.takeNotifications();
        REQUIRE(notes.size() == 2);
        CHECK(notes[0].body == "3 messages sent again.");
        CHECK(notes[1].body == "Sending is paused until you resume it.");
        CHECK(f.presenter.takeNotifications().empty());
    }

    TEST_CASE("presenter: a rising failure count raises one notification, a steady one none") {
        Fixture f;
        f.presenter.showStatus(status(R"({"failed": 1})"));
        CHECK(f.presenter.takeNotifications().empty()); // the first status is the baseline
        f.presenter.showStatus(status(R"({"failed": 1})"));
        CHECK(f.presenter.takeNotifications().empty());
        f.presenter.showStatus(status(R"({"failed": 2})"));
        auto notes = f.presenter.takeNotifications();
        REQUIRE(notes.size() == 1);
        CHECK(notes[0].kind == Notification::Kind::MessageFailed);
        CHECK(notes[0].warning);
        CHECK(notes[0].body == "2 items need attention. Open the status page to see why.");

        // needsAttention rising alone (e.g. an expiry) also counts.
        f.presenter.showStatus(status(R"({"failed": 2})", R"("needsAttention": 2)"));
        CHECK(f.presenter.takeNotifications().empty());
        f.presenter.showStatus(status(R"({"failed": 2, "expired": 1})", R"("needsAttention": 3)"));
        CHECK(kinds(f.presenter.takeNotifications()) ==
              std::vector<Notification::Kind>{Notification::Kind::MessageFailed});
        // Retrying them lowers the count: nothing to announce.
        f.presenter.showStatus(status(R"({"queued": 2, "expired": 1})", R"("needsAttention": 1)"));
        CHECK(f.presenter.takeNotifications().empty());
    }

    TEST_CASE("presenter: a GP2GP record arriving raises a notification") {
        Fixture f;
        const QByteArray before =
            R"("gp2gp": {"inProgress": 1, "failed": 0, "recordsReceived": 4})";
        const QByteArray after = R"("gp2gp": {"inProgress": 0, "failed": 0, "recordsReceived": 5})";
        f.presenter.showStatus(status(R"({})", before));
        f.presenter.showStatus(status(R"({})", after));
        const auto notes = f.presenter.takeNotifications();
        REQUIRE(notes.size() == 1);
        CHECK(notes[0].kind == Notification::Kind::RecordArrived);
        CHECK(notes[0].title == "A patient record has arrived");
        CHECK(notes[0].body == "1 record received by GP2GP. Open the status page to see it.");
        CHECK_FALSE(notes[0].warning);
    }

    TEST_CASE("presenter: without gp2gp.completed no record notification is guessed") {
        Fixture f;
        f.presenter.showStatus(status(R"({})", R"("gp2gp": {"inProgress": 1, "failed": 0})"));
        f.presenter.showStatus(status(R"({})", R"("gp2gp": {"inProgress": 0, "failed": 0})"));
        CHECK(f.presenter.takeNotifications().empty());
    }

    TEST_CASE("presenter: losing the agent notifies once, not on every failed poll") {
        Fixture f;
        f.presenter.showProblem(Problem::Unreachable, "refused"); // never connected: no news
        CHECK(f.presenter.takeNotifications().empty());
        f.presenter.showStatus(status());
        f.presenter.showProblem(Problem::Unreachable, "refused");
        f.presenter.showProblem(Problem::Unreachable, "refused");
        f.presenter.showProblem(Problem::TokenRefused, "HTTP 401");
        CHECK(kinds(f.presenter.takeNotifications()) ==
              std::vector<Notification::Kind>{Notification::Kind::AgentLost});
    }

    TEST_CASE("presenter: a failure during an outage is announced when the agent is back") {
        Fixture f;
        f.presenter.showStatus(status(R"({"failed": 0})"));
        f.presenter.showProblem(Problem::Unreachable, "refused");
        f.presenter.takeNotifications();
        f.presenter.showStatus(status(R"({"failed": 1})"));
        CHECK(kinds(f.presenter.takeNotifications()) ==
              std::vector<Notification::Kind>{Notification::Kind::MessageFailed});
    }

    TEST_CASE("presenter: the status page is the agent URL's root") {
        StatusPresenter presenter(QUrl("http://practice-server:7670/v1"));
        CHECK(presenter.statusPageUrl() == QUrl("http://practice-server:7670/"));
        CHECK(iconStateName(IconState::Amber) == "amber");
    }
}
