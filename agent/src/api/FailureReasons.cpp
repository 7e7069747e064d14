#include "FailureReasons.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace gp::agent::api {

namespace {

struct Reason {
    std::string_view code;
    std::string_view sentence;
};

// Exact codes first: Spine's (HL7 acknowledgement and ebXML codes, docs/eps.md) and ours
// (docs/retries.md). Written for practice staff: what happened, then what to do.
constexpr std::array kReasons = {
    Reason{"0002", "A prescription with this ID was already sent to Spine. Check it on Spine; "
                   "if it is a new prescription it needs a new prescription ID."},
    Reason{"5000", "Spine could not process the message. Retry later; if it fails again, call "
                   "the NHS national service desk."},
    Reason{"5009", "The prescription ID's check character is wrong: the prescribing system made "
                   "a bad ID."},
    Reason{"5888", "Spine found the message invalid: the prescribing system sent something Spine "
                   "does not accept."},
    Reason{"AE", "Spine refused the message without saying why."},
    Reason{"AR", "Spine rejected the message without saying why."},
    Reason{"expired", "Not acknowledged before its persist duration ran out, so the agent stopped "
                      "sending it. Retry once Spine is reachable again."},
    Reason{"retries-exhausted", "Every allowed attempt was made and none was acknowledged."},
    Reason{"outcome-unknown", "The reply to an e-RS request was lost; its referral is looked up "
                              "rather than created twice."},
    Reason{"unreadable-reply", "Spine's reply could not be read."},
    Reason{"unreadable-poll-location",
           "Spine accepted the message but gave an address for its answer that is not a URL."},
    Reason{"message-error", "Spine's messaging layer refused the message envelope."},
    Reason{"ValueNotRecognized", "Spine's messaging layer did not recognise a value in the "
                                 "envelope, usually the practice's CPA ID or party key: check "
                                 "the agent's Spine registration settings."},
    Reason{"soap-fault", "Spine answered with a fault."},
    Reason{"http-429", "Spine asked the agent to slow down (too many requests)."},
    Reason{"http-500", "Spine (or a proxy in front of it) had an internal error."},
    Reason{"http-502", "A gateway in front of Spine could not reach it."},
    Reason{"http-503", "Spine was unavailable (HTTP 503)."},
    Reason{"http-504", "A gateway in front of Spine timed out waiting for it."},
    Reason{"http-401", "Spine refused the agent's credentials: check the practice's certificate."},
    Reason{"http-403", "Spine refused the agent's credentials: check the practice's certificate "
                       "and endpoint registration."},
    Reason{"http-404", "The address the message was sent to does not exist: check the endpoint "
                       "settings."},
    Reason{"transport-connect-failed", "The agent could not connect to Spine: check the "
                                       "practice's network link to the HSCN."},
    Reason{"transport-timeout", "Spine did not answer in time."},
    Reason{"transport-connection-reset", "The connection to Spine dropped before a reply came."},
    Reason{"transport-tls", "The secure connection to Spine failed: check the certificates."},
    Reason{"transport-other", "The connection to Spine failed."},
};

bool allDigitsOrCommas(std::string_view code) {
    return !code.empty() && std::all_of(code.begin(), code.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == ',';
    });
}

std::string byKind(std::string_view code) {
    if (code.rfind("http-4", 0) == 0) {
        return "Spine refused the request (HTTP " + std::string(code.substr(5)) + ").";
    }
    if (code.rfind("http-", 0) == 0) {
        return "Spine answered HTTP " + std::string(code.substr(5)) + ".";
    }
    if (code.rfind("transport-", 0) == 0) {
        return "The connection to Spine failed.";
    }
    if (allDigitsOrCommas(code)) {
        return "Spine refused the message with code " + std::string(code) + ".";
    }
    return "Refused with code " + std::string(code) + ".";
}

std::string forState(MessageState state) {
    switch (state) {
    case MessageState::Queued:
        return "Waiting to be sent.";
    case MessageState::Sending:
        return "Being sent now.";
    case MessageState::RetryWait:
        return "Waiting to be sent again.";
    case MessageState::Acked:
        return "Delivered and acknowledged.";
    case MessageState::Failed:
        return "Failed.";
    case MessageState::Expired:
        return "Not acknowledged before its persist duration ran out.";
    }
    return {};
}

} // namespace

std::string plainReason(const MessageRecord& message) {
    if (message.state == MessageState::Acked || !message.lastError) {
        return forState(message.state);
    }
    const std::string& code = message.lastError->code;
    for (const Reason& reason : kReasons) {
        if (reason.code == code) {
            return std::string(reason.sentence);
        }
    }
    return byKind(code);
}

} // namespace gp::agent::api
