#pragma once

// TEST-ONLY. The crash campaign (tests/chaos) needs the agent to die at an exact point of its
// life, not only wherever a random SIGKILL happens to land: this tripwire aborts the process at
// the Nth durable store transition, just before or just after the transaction holding it commits
// (concurrent writes share one transaction: see SqliteStore). It is
// armed only by the environment variable GP_TEST_ABORT_AT_TRANSITION, read once when a
// read-write store opens; unset (always, in production) the store holds no tripwire and pays one
// null-pointer test per write.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gp::agent::sqlite {

inline constexpr const char* kTripwireVariable = "GP_TEST_ABORT_AT_TRANSITION";

enum class TripPoint { BeforeCommit, AfterCommit };

struct TripwireSpec {
    std::int64_t transition = 0; // 1 = the first transition after the store opened
    TripPoint point = TripPoint::BeforeCommit;
};

/// Parses "N", "N:before-commit" or "N:after-commit" (N from 1). Throws std::runtime_error
/// naming the variable and the part that is wrong.
TripwireSpec parseTripwireSpec(std::string_view text);

class CrashTripwire {
public:
    using Action = std::function<void(const std::string& why)>;

    /// `action` runs when the tripwire fires; by default it writes `why` to stderr and calls
    /// std::abort(). Tests inject their own to observe it without dying.
    explicit CrashTripwire(TripwireSpec spec, Action action = {});

    /// The tripwire GP_TEST_ABORT_AT_TRANSITION asks for, or nullptr when it is unset or empty.
    /// Throws std::runtime_error when it is set to something unreadable.
    static std::unique_ptr<CrashTripwire> fromEnvironment();

    /// A write that changed rows is about to commit: it is the next transition. The store's
    /// writes share commits, so several transitions may come before one afterCommit().
    void beforeCommit(std::string_view operation);
    /// The transaction holding every transition counted since the last call has committed (it
    /// is on disk): fires here when it held the Nth.
    void afterCommit();

    std::int64_t transitionsSeen() const { return m_seen; }
    const TripwireSpec& spec() const { return m_spec; }

private:
    void fire(std::string_view operation, std::string_view when);

    TripwireSpec m_spec;
    Action m_action;
    std::int64_t m_seen = 0;
    std::optional<std::string> m_armedOperation; // the Nth's, waiting for its commit
};

} // namespace gp::agent::sqlite
