#include "OutcomeParts.hpp"

#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/messaging/spine/SpineReply.hpp>

#include <optional>
#include <string_view>

namespace gp::agent {

namespace {

namespace spine = messaging::spine;
namespace hl7 = messaging::hl7;

using outcome::acknowledged;
using outcome::failureName;
using outcome::httpDetail;
using outcome::parseRetryAfter;
using outcome::permanent;
using outcome::retriable;

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

    if (status == 202 && response.body.empty()) {
        // Spine took the message but will answer later, at the address it gives: poll there
        // rather than send again.
        if (const auto location = response.header("Content-Location");
            location && !location->empty()) {
            Outcome deferred;
            deferred.kind = Outcome::Kind::Deferred;
            deferred.location = *location;
            deferred.detail = httpDetail(status) + "; reply deferred";
            return deferred;
        }
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
