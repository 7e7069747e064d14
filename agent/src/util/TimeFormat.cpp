#include <gp/agent/TimeFormat.hpp>

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

namespace gp::agent {

std::string formatIsoTime(TimePoint time) {
    const auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
    return Poco::DateTimeFormatter::format(Poco::Timestamp(micros), "%Y-%m-%dT%H:%M:%S.%iZ");
}

} // namespace gp::agent
