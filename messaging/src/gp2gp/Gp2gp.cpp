#include <gp/messaging/gp2gp/Gp2gp.hpp>

#include <array>
#include <stdexcept>

namespace gp::messaging::gp2gp {

namespace {

struct ReasonInfo {
    NackReason reason;
    std::string_view description;
};

// The one table of reasons: code lookup, description and the reverse mapping all read it.
constexpr std::array<ReasonInfo, 22> kReasons{{
    {NackReason::PatientNotAtSurgery, "Patient not at surgery"},
    {NackReason::Gp2gpDisabled, "GP2GP messaging is disabled"},
    {NackReason::UnexpectedEhr, "EHR extract received without a request"},
    {NackReason::FailedToGenerateExtract, "Failed to generate the EHR extract"},
    {NackReason::FailedToIntegrate, "Failed to integrate the EHR extract"},
    {NackReason::DuplicateEhr, "Duplicate EHR extract received"},
    {NackReason::RequesterNotLargeMessageCompliant, "Requester is not large-message compliant"},
    {NackReason::AbaStoredAsSuppressed, "A-B-A EHR extract received and stored as suppressed"},
    {NackReason::AbaWrongPatient, "A-B-A EHR extract received for the wrong patient"},
    {NackReason::RequestNotWellFormed, "EHR request message not well-formed"},
    {NackReason::RequesterNotCurrentProvider, "Requester is not the patient's current provider"},
    {NackReason::SpineError, "Spine system responded with an error"},
    {NackReason::ExtractNotWellFormed, "EHR extract message not well-formed"},
    {NackReason::SenderNotLargeMessageCompliant, "Sender is not large-message compliant"},
    {NackReason::SdsLookupFailed, "SDS lookup failed"},
    {NackReason::OverallTransferTimeout, "Overall transfer timed out"},
    {NackReason::FiledAsAttachment, "EHR extract filed as an attachment"},
    {NackReason::WrongPatient, "EHR extract received for the wrong patient"},
    {NackReason::LargeMessageReassemblyFailure, "Large message re-assembly failure"},
    {NackReason::LargeMessageGeneralFailure, "Large message general failure"},
    {NackReason::LargeMessageAttachmentsNotReceived, "Large message attachments not received"},
    {NackReason::UnexpectedCondition, "Unexpected condition"},
}};

const ReasonInfo& infoFor(NackReason reason) {
    for (const ReasonInfo& info : kReasons) {
        if (info.reason == reason) {
            return info;
        }
    }
    throw std::logic_error("unknown NackReason " + std::to_string(static_cast<int>(reason)));
}

} // namespace

std::string twoDigitCode(NackReason reason) {
    const int code = static_cast<int>(infoFor(reason).reason);
    std::string text = std::to_string(code);
    return text.size() < 2 ? "0" + text : text;
}

std::string_view describe(NackReason reason) {
    return infoFor(reason).description;
}

std::optional<NackReason> nackReasonFromCode(std::string_view code) {
    if (code.empty() || code.size() > 2) {
        return std::nullopt;
    }
    int value = 0;
    for (char c : code) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    for (const ReasonInfo& info : kReasons) {
        if (static_cast<int>(info.reason) == value) {
            return info.reason;
        }
    }
    return std::nullopt;
}

} // namespace gp::messaging::gp2gp
