#include <gp/mock/Clock.hpp>

#include <cstdio>
#include <ctime>

namespace gp::mock {

std::string formatIsoMillis(TimePoint time) {
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    // Floor division so that times before 1970 still print a valid millisecond field.
    long long seconds = millis / 1000;
    long long remainder = millis % 1000;
    if (remainder < 0) {
        remainder += 1000;
        --seconds;
    }
    const std::time_t whole = static_cast<std::time_t>(seconds);
    std::tm parts{};
    gmtime_r(&whole, &parts);
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03lldZ",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, remainder);
    return buffer;
}

} // namespace gp::mock
