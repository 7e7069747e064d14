#include <gp/agent/store/Store.hpp>

#include <array>
#include <utility>

namespace gp::agent {

namespace {

// These spellings are stored in messages.state and shown by the API: never rename one.
constexpr std::array<std::pair<MessageState, std::string_view>, 6> kStateNames = {{
    {MessageState::Queued, "queued"},
    {MessageState::Sending, "sending"},
    {MessageState::RetryWait, "retry-wait"},
    {MessageState::Acked, "acked"},
    {MessageState::Failed, "failed"},
    {MessageState::Expired, "expired"},
}};

} // namespace

std::string_view toString(MessageState state) {
    for (const auto& [value, name] : kStateNames) {
        if (value == state) {
            return name;
        }
    }
    return "unknown";
}

std::optional<MessageState> messageStateFromString(std::string_view text) {
    for (const auto& [value, name] : kStateNames) {
        if (name == text) {
            return value;
        }
    }
    return std::nullopt;
}

} // namespace gp::agent
