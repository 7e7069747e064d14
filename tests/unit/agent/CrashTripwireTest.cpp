// The test-only crash tripwire (agent/src/store/CrashTripwire.hpp): what it reads from the
// environment, what it counts, and that a real store dies at exactly the transition asked for,
// with that transaction committed or not as the spec says.

#include "../../../agent/src/store/CrashTripwire.hpp"

#include "StoreTestSupport.hpp"

#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <vector>

using namespace gp;
using namespace gp::test;
using agent::sqlite::CrashTripwire;
using agent::sqlite::kTripwireVariable;
using agent::sqlite::parseTripwireSpec;
using agent::sqlite::TripPoint;

namespace {

struct ChildOutcome {
    bool aborted = false;
    int exitCode = -1;
};

/// In a child process: arms the tripwire with `spec` (or leaves it unset when empty), opens a
/// store at `file`, makes one claim that finds nothing (changes no row, so is no transition) and
/// then enqueues m1..m5, one transition each.
ChildOutcome enqueueFiveInChild(const std::filesystem::path& file, const std::string& spec) {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // doctest's crash handler would report the expected abort as a crashed test case.
        ::signal(SIGABRT, SIG_DFL);
        int code = 0;
        try {
            if (spec.empty()) {
                ::unsetenv(kTripwireVariable);
            } else {
                ::setenv(kTripwireVariable, spec.c_str(), 1);
            }
            ManualClock clock;
            auto store = agent::openSqliteStore(file, clock);
            code = store->claimDue("worker-1", std::chrono::seconds(30), 10).ok() ? 0 : 3;
            for (int i = 1; i <= 5 && code == 0; ++i) {
                const std::string id = "m" + std::to_string(i);
                code = store->enqueue(makeMessage(id, clock.now()), apiEvent(id)).ok() ? 0 : 4;
            }
        } catch (...) {
            code = 5;
        }
        ::_exit(code);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    ChildOutcome outcome;
    outcome.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    outcome.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return outcome;
}

std::string storedIds(const std::filesystem::path& file) {
    RawDatabase raw(file);
    return raw.scalar("SELECT group_concat(message_id, ',') FROM"
                      " (SELECT message_id FROM messages ORDER BY message_id)");
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("crash tripwire: the spec reads N, N:before-commit and N:after-commit") {
        CHECK(parseTripwireSpec("3").transition == 3);
        CHECK(parseTripwireSpec("3").point == TripPoint::BeforeCommit);
        CHECK(parseTripwireSpec("12:before-commit").point == TripPoint::BeforeCommit);
        const auto after = parseTripwireSpec("40:after-commit");
        CHECK(after.transition == 40);
        CHECK(after.point == TripPoint::AfterCommit);
        for (const char* bad : {"", "0", "-2", "x", "3x", "3:", "3:sideways", ":after-commit"}) {
            CAPTURE(bad);
            try {
                parseTripwireSpec(bad);
                FAIL("accepted");
            } catch (const std::runtime_error& error) {
                CHECK(std::string(error.what()).find(kTripwireVariable) != std::string::npos);
            }
        }
    }

    TEST_CASE("crash tripwire: fires once, at the Nth transition, at the point asked for") {
        std::vector<std::string> fired;
        CrashTripwire before({3, TripPoint::BeforeCommit},
                             [&](const std::string& why) { fired.push_back(why); });
        for (int i = 0; i < 5; ++i) {
            before.beforeCommit("enqueue");
            CHECK(fired.size() == (i >= 2 ? 1U : 0U));
            before.afterCommit();
        }
        REQUIRE(fired.size() == 1);
        CHECK(fired[0].find("transition 3 (enqueue, before commit)") != std::string::npos);

        fired.clear();
        CrashTripwire after({2, TripPoint::AfterCommit},
                            [&](const std::string& why) { fired.push_back(why); });
        after.beforeCommit("claimDue");
        after.afterCommit();
        after.beforeCommit("recordAcked");
        CHECK(fired.empty());
        after.afterCommit();
        REQUIRE(fired.size() == 1);
        CHECK(fired[0].find("transition 2 (recordAcked, after commit)") != std::string::npos);
        CHECK(after.transitionsSeen() == 2);
    }

    TEST_CASE("crash tripwire: several transitions sharing one commit count one by one") {
        std::vector<std::string> fired;
        CrashTripwire after({3, TripPoint::AfterCommit},
                            [&](const std::string& why) { fired.push_back(why); });
        after.beforeCommit("enqueue"); // a batch of one
        after.afterCommit();
        after.beforeCommit("claimDue"); // a batch of three holding the third transition
        after.beforeCommit("recordAcked");
        after.beforeCommit("enqueue");
        CHECK(fired.empty());
        after.afterCommit();
        REQUIRE(fired.size() == 1);
        CHECK(fired[0].find("transition 3 (recordAcked, after commit)") != std::string::npos);
        after.beforeCommit("enqueue");
        after.afterCommit();
        CHECK(fired.size() == 1);

        fired.clear();
        CrashTripwire before({2, TripPoint::BeforeCommit},
                             [&](const std::string& why) { fired.push_back(why); });
        before.beforeCommit("enqueue");
        before.beforeCommit("recordAcked"); // fires before the batch's commit, mid-count
        REQUIRE(fired.size() == 1);
        CHECK(fired[0].find("transition 2 (recordAcked, before commit)") != std::string::npos);
    }

    TEST_CASE("crash tripwire: unset or empty in the environment, there is none") {
        ::unsetenv(kTripwireVariable);
        CHECK(CrashTripwire::fromEnvironment() == nullptr);
        ::setenv(kTripwireVariable, "", 1);
        CHECK(CrashTripwire::fromEnvironment() == nullptr);
        ::unsetenv(kTripwireVariable);
    }

    TEST_CASE("crash tripwire: a store aborts at the third enqueue, before or after its commit") {
        TempDir dir;

        SUBCASE("unset: nothing aborts") {
            const auto outcome = enqueueFiveInChild(dir.file("agent.db"), "");
            CHECK_FALSE(outcome.aborted);
            CHECK(outcome.exitCode == 0);
            CHECK(storedIds(dir.file("agent.db")) == "m1,m2,m3,m4,m5");
        }
        SUBCASE("before commit: the third message was never stored") {
            const auto outcome = enqueueFiveInChild(dir.file("agent.db"), "3:before-commit");
            CHECK(outcome.aborted);
            CHECK(storedIds(dir.file("agent.db")) == "m1,m2");
        }
        SUBCASE("after commit: the third message is stored, the fourth never was") {
            const auto outcome = enqueueFiveInChild(dir.file("agent.db"), "3:after-commit");
            CHECK(outcome.aborted);
            CHECK(storedIds(dir.file("agent.db")) == "m1,m2,m3");
        }
        SUBCASE("an unreadable value stops the store from opening") {
            const auto outcome = enqueueFiveInChild(dir.file("agent.db"), "three");
            CHECK_FALSE(outcome.aborted);
            CHECK(outcome.exitCode == 5);
        }
    }

} // TEST_SUITE
