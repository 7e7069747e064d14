#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/messaging/spine/SpineReply.hpp>

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>
#include <string_view>

namespace gp::agent {

namespace {

namespace spine = messaging::spine;
namespace hl7 = messaging::hl7;

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

/// Retry-After as delta-seconds. An HTTP-date form is not read: turning it into a delay needs the
/// current time, which the classifier does not have, and Spine and e-RS send seconds.
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

Outcome classifyApplicationAck(const hl7::ApplicationAck& ack, const std::string& prefix) {
    const std::string type(hl7::toString(ack.typeCode));
    if (ack.typeCode == hl7::AckTypeCode::AA) {
        return acknowledged(prefix + "; AA");
    }
    // A negative ack is the receiver's considered answer: sending the same bytes again would get
    // the same answer (or, with duplicate elimination, the very same reply).
    MessageError error;
    if (ack.details.empty()) {
        error.code = type;
        error.text = "application ack " + type + " without a reason code";
    } else {
        error.code = ack.details.front().code;
        error.text = ack.details.front().displayName;
    }
    std::string detail = prefix + "; " + type + " " + error.code;
    return permanent(std::move(error), std::move(detail));
}

/// Nothing when the reply does not settle the matter and the status line must decide.
std::optional<Outcome> classifyReply(const spine::SpineReply& reply, const HttpResponse& response) {
    const std::string prefix = httpDetail(response.status);
    switch (reply.kind) {
    case spine::ReplyKind::SoapFault: {
        MessageError error;
        for (const auto& item : reply.errors) {
            error.code += (error.code.empty() ? "" : ",") + item.code;
            error.text += (error.text.empty() ? "" : "; ") + item.description;
        }
        if (error.code.empty()) {
            error.code = "soap-fault";
        }
        const std::string detail = prefix + "; SOAP fault " + error.code;
        if (reply.retriableFault()) {
            // Spine answered, so this is not a transport error, but it says it failed on its side.
            return retriable(std::move(error), detail, false, parseRetryAfter(response));
        }
        return permanent(std::move(error), detail);
    }
    case spine::ReplyKind::MessageError: {
        MessageError error;
        if (reply.errors.empty()) {
            error.code = "message-error";
            error.text = "ebXML MessageError without eb:Error";
        } else {
            error.code = reply.errors.front().code;
            error.text = reply.errors.front().description;
        }
        std::string detail = prefix + "; MessageError " + error.code;
        return permanent(std::move(error), std::move(detail));
    }
    case spine::ReplyKind::ApplicationAck:
        if (reply.applicationAck) {
            return classifyApplicationAck(*reply.applicationAck, prefix);
        }
        break; // the parser promised an ack and gave none: treat like an unreadable body
    case spine::ReplyKind::Acknowledgment:
        if (response.status >= 200 && response.status < 300) {
            return acknowledged(prefix + "; Acknowledgment");
        }
        break; // an ebXML ack under an error status is contradictory: the status decides
    }
    return std::nullopt;
}

/// The body told us nothing we can use, so the status line decides.
Outcome classifyByStatus(const HttpResponse& response, const std::string& why) {
    const int status = response.status;
    const std::string code = "http-" + std::to_string(status);
    const std::string detail = httpDetail(status);
    if (status >= 200 && status < 300) {
        if (status == 202 && response.body.empty()) {
            return acknowledged(detail); // async reliable: accepted, the ack comes later
        }
        // We cannot tell whether the message was accepted. Sending it again is safe because the
        // receiver drops a MessageId it has already seen and repeats its original reply; giving up
        // could lose a prescription that was never taken. So: retry, and say why.
        return retriable({"unreadable-reply", why}, detail + "; unreadable reply", false,
                         parseRetryAfter(response));
    }
    if (status == 500) {
        // A 500 without a SOAP fault we can read is a server that fell over (a proxy's error page,
        // a crash mid-request), not a judgement on the message; Spine signals a bad message with
        // a MessageError or a fault code instead.
        return retriable({code, why}, detail, true, parseRetryAfter(response));
    }
    if (status > 500 && status < 600 && status != 501 && status != 505) {
        return retriable({code, why}, detail, true, parseRetryAfter(response));
    }
    // Other 4xx (and 501/505, redirects, anything odd): asking again will not change the answer.
    return permanent({code, why}, detail);
}

} // namespace

Outcome classify(const TransportResult& result) {
    if (result.failure != TransportResult::Failure::None || !result.response) {
        const std::string_view name = failureName(result.failure);
        MessageError error{"transport-" + std::string(name), result.failureText};
        if (error.text.empty()) {
            error.text = "no HTTP response";
        }
        return retriable(std::move(error), std::string(name), true, std::nullopt);
    }

    const HttpResponse& response = *result.response;
    const int status = response.status;
    if (status == 429 || status == 502 || status == 503 || status == 504) {
        // Throttled or a gateway in the way: whatever the body says, the message was not judged.
        return retriable({"http-" + std::to_string(status), "server busy or unreachable"},
                         httpDetail(status), true, parseRetryAfter(response));
    }

    if (response.body.empty()) {
        return classifyByStatus(response, "empty body");
    }
    const auto reply =
        spine::parseSpineReply(response.header("Content-Type").value_or(""), response.body);
    if (!reply) {
        return classifyByStatus(response, reply.error().describe());
    }
    if (auto outcome = classifyReply(reply.value(), response)) {
        return *outcome;
    }
    return classifyByStatus(response, "reply does not fit the status");
}

} // namespace gp::agent
