#pragma once

#include <chrono>

namespace gp::agent {

using TimePoint = std::chrono::system_clock::time_point;
using Milliseconds = std::chrono::milliseconds;

/// Where the agent reads the time. Production uses SystemClock; unit tests use a manual clock so
/// that nothing in a test waits on real time.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// Milliseconds since the Unix epoch, the form times take in the store and the JSON API.
inline long long toEpochMillis(TimePoint time) {
    return std::chrono::duration_cast<Milliseconds>(time.time_since_epoch()).count();
}
inline TimePoint fromEpochMillis(long long millis) {
    return TimePoint(Milliseconds(millis));
}

} // namespace gp::agent
