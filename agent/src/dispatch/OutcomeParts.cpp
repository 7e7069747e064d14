#include "OutcomeParts.hpp"

#include <algorithm>
#include <cctype>

namespace gp::agent::outcome {

std::string_view failureName(TransportResult::Failure failure) {
    switch (failure) {
    case TransportResult::Failure::ConnectFailed:
        return "connect-failed";
    case TransportResult::Failure::Timeout:
        return "timeout";
    case TransportResult::Failure::ConnectionReset:
        return "connection-reset";
    case TransportResult::Failure::Tls:
        return "tls";
    case TransportResult::Failure::None:
    case TransportResult::Failure::Other:
        break;
    }
    return "other";
}

std::optional<Milliseconds> parseRetryAfter(const HttpResponse& response) {
    const auto value = response.header("Retry-After");
    if (!value) {
        return std::nullopt;
    }
    std::string_view text(*value);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    if (text.empty()) {
        return std::nullopt;
    }
    // A day is far beyond any persist duration; larger values are clamped rather than overflowing.
    constexpr long long kMaxSeconds = 86'400;
    long long seconds = 0;
    for (const char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) {
            return std::nullopt;
        }
        seconds = std::min(seconds * 10 + (c - '0'), kMaxSeconds);
    }
    return Milliseconds(seconds * 1000);
}

std::string httpDetail(int status) {
    return "HTTP " + std::to_string(status);
}

Outcome retriable(MessageError error, std::string detail, bool transportError,
                  std::optional<Milliseconds> retryAfter) {
    Outcome outcome;
    outcome.kind = Outcome::Kind::Retriable;
    outcome.error = std::move(error);
    outcome.detail = std::move(detail);
    outcome.transportError = transportError;
    outcome.retryAfter = retryAfter;
    return outcome;
}

Outcome permanent(MessageError error, std::string detail) {
    Outcome outcome;
    outcome.kind = Outcome::Kind::Permanent;
    outcome.error = std::move(error);
    outcome.detail = std::move(detail);
    return outcome;
}

Outcome acknowledged(std::string detail) {
    Outcome outcome;
    outcome.kind = Outcome::Kind::Acknowledged;
    outcome.detail = std::move(detail);
    return outcome;
}

} // namespace gp::agent::outcome
