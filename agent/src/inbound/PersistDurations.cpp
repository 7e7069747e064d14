#include "PersistDurations.hpp"

#include <chrono>

namespace gp::agent {

namespace {

using namespace std::chrono_literals;

struct PersistDuration {
    std::string_view interaction;
    Milliseconds duration;
};

// The values an older NHS library publishes (PROTOCOL.md §1), not checked against live SDS.
// MCCI's PT4M is short beside a transfer that takes hours, but it only has to outlast the sender's
// retries of that one acknowledgement, which its own persist duration bounds.
constexpr PersistDuration kDurations[] = {
    {"RCMR_IN010000UK05", 4h + 10min}, // EHR request
    {"RCMR_IN030000UK06", 4h + 10min}, // EHR extract
    {"RCMR_IN030000UK07", 4h + 10min}, // EHR extract, redactions supported
    {"COPC_IN000001UK01", 7h},         // Continue, attachments, fragment index, fragments
    {"MCCI_IN010000UK13", 4min},       // application acknowledgement
};

// An interaction we do not know yet is remembered as long as the longest GP2GP request.
constexpr Milliseconds kDefaultDuration = 4h + 10min;

} // namespace

Milliseconds inboundPersistDuration(std::string_view interaction) {
    for (const PersistDuration& entry : kDurations) {
        if (entry.interaction == interaction) {
            return entry.duration;
        }
    }
    return kDefaultDuration;
}

} // namespace gp::agent
