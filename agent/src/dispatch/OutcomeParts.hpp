#pragma once

#include <gp/agent/dispatch/OutcomeClassifier.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace gp::agent::outcome {

// Shared by the Spine and the e-RS classifiers, so that both spell codes and details alike.

/// "connect-failed", "timeout", "connection-reset", "tls", "other".
std::string_view failureName(TransportResult::Failure failure);

/// Retry-After as delta-seconds, clamped to a day. An HTTP-date form is not read: turning it into
/// a delay needs the current time, which a classifier does not have, and Spine and e-RS send
/// seconds.
std::optional<Milliseconds> parseRetryAfter(const HttpResponse& response);

/// "HTTP 503".
std::string httpDetail(int status);

Outcome retriable(MessageError error, std::string detail, bool transportError,
                  std::optional<Milliseconds> retryAfter);
Outcome permanent(MessageError error, std::string detail);
Outcome acknowledged(std::string detail);

} // namespace gp::agent::outcome
