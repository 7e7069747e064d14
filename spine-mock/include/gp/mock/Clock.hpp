#pragma once

#include <chrono>
#include <string>

namespace gp::mock {

using TimePoint = std::chrono::system_clock::time_point;

/// Where spine-mock reads the time, so that the core can be driven by a manual clock in tests.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::system_clock::now(); }
};

/// ISO 8601 UTC with milliseconds, e.g. 2026-03-15T06:51:08.123Z: the journal's receivedAt.
std::string formatIsoMillis(TimePoint time);

} // namespace gp::mock
