#include "FhirJson.hpp"

#include <gp/messaging/ers/OperationOutcome.hpp>

#include <array>

namespace gp::messaging::ers {

namespace {

struct KnownCode {
    std::string_view code;
    std::string_view text;
};

// e-RS's own error codes (eRS-APIErrorCode-1) that a referrer meets, in words staff can act on.
// docs/ers.md lists the same table.
constexpr std::array kKnownCodes = {
    KnownCode{"ACCESS_DENIED", "e-RS did not accept the access token: check ers.tokenFile."},
    KnownCode{"NO_ACCESS", "e-RS refused access: check the business function and the user's "
                           "role at this organisation."},
    KnownCode{"FORBIDDEN", "e-RS refused access: this business function may not do this; check "
                           "ers.businessFunction."},
    KnownCode{"NO_RELATIONSHIP", "e-RS says this organisation has no legitimate relationship "
                                 "with the patient."},
    KnownCode{"REFERENCE_NOT_FOUND", "e-RS could not find something the request names (a "
                                     "service, referral or attachment): check the ids."},
    KnownCode{"MISSING_VALUE", "e-RS found a required value missing from the request; report it "
                               "to the gp-agent supplier."},
    KnownCode{"INVALID_VALUE", "e-RS did not accept a value in the request (for example the NHS "
                               "number): check the details and try again."},
    KnownCode{"INVALID_CODE", "e-RS did not accept a code in the request (for example the "
                              "priority): check the details and try again."},
    KnownCode{"TOO_MANY_ITEMS", "e-RS accepts at most 20 services on a shortlist."},
    KnownCode{"DUPLICATE_SERVICE", "The shortlist names the same service twice."},
    KnownCode{"INVALID_FHIR_STRUCTURE", "e-RS could not read the request; report it to the "
                                        "gp-agent supplier."},
    KnownCode{"UNSUPPORTED_MEDIA_TYPE", "e-RS does not accept this type of file as a letter."},
    KnownCode{"FILE_SIZE_ERROR", "The letter is empty or larger than e-RS accepts (5 MB)."},
    KnownCode{"INAPPROPRIATE_VALUE", "e-RS did not accept the letter for this referral; report "
                                     "it to the gp-agent supplier."},
    KnownCode{"NO_CHANGES_DETECTED", "The referral already has this letter."},
    KnownCode{"INVALID_REQUEST_STATE", "The referral can no longer be changed (for example it "
                                       "was cancelled)."},
    KnownCode{"CONFLICT", "The referral was changed in e-RS meanwhile (version conflict)."},
    KnownCode{"LOCKED", "The referral is locked by another e-RS user; try again when they have "
                        "finished."},
    KnownCode{"TOO_MANY_REQUESTS", "e-RS is throttling requests from this system."},
    KnownCode{"SERVICE_UNAVAILABLE", "e-RS is temporarily unavailable."},
    KnownCode{"PAS_NOT_RESPONDING", "The hospital system behind e-RS did not answer in time."},
};

std::string_view textForStatus(int status) {
    switch (status) {
    case 400:
        return "e-RS could not read the request; report it to the gp-agent supplier.";
    case 401:
        return "e-RS did not accept the access token: check ers.tokenFile.";
    case 403:
        return "e-RS refused access: check the business function and the user's role.";
    case 404:
        return "e-RS has no such record.";
    case 409:
        return "The referral was changed in e-RS meanwhile (version conflict).";
    case 413:
        return "The letter is larger than e-RS accepts (5 MB).";
    case 415:
        return "e-RS does not accept this type of file.";
    case 422:
        return "e-RS refused the request under its business rules.";
    case 423:
        return "The referral is locked by another e-RS user.";
    case 429:
        return "e-RS is throttling requests from this system.";
    case 503:
        return "e-RS is temporarily unavailable.";
    case 504:
        return "e-RS, or the hospital system behind it, did not answer in time.";
    default:
        break;
    }
    if (status >= 500) {
        return "e-RS failed to process the request.";
    }
    return "e-RS refused the request.";
}

} // namespace

OutcomeIssue OperationOutcome::primary() const {
    for (const auto& issue : issues) {
        if (issue.severity == "error" || issue.severity == "fatal") {
            return issue;
        }
    }
    return issues.empty() ? OutcomeIssue{} : issues.front();
}

Result<OperationOutcome> parseOperationOutcome(std::string_view text) {
    auto root = json::parseObject(text);
    if (!root) {
        return root.error();
    }
    if (auto type = json::expectResourceType(*root, "OperationOutcome"); !type) {
        return type.error();
    }
    const auto issues = json::array(*root, "issue");
    if (json::size(issues) == 0) {
        return failure("issue", "an OperationOutcome needs at least one issue");
    }
    OperationOutcome outcome;
    for (std::size_t i = 0; i < json::size(issues); ++i) {
        const auto item = json::objectAt(issues, i);
        if (!item) {
            return failure("issue[" + std::to_string(i) + "]", "must be an object");
        }
        OutcomeIssue issue;
        issue.severity = json::text(item, "severity");
        issue.issueType = json::text(item, "code");
        issue.diagnostics = json::text(item, "diagnostics");
        const auto details = json::object(item, "details");
        if (const auto coding = json::objectAt(json::array(details, "coding"), 0)) {
            issue.code = json::text(coding, "code");
            issue.display = json::text(coding, "display");
        }
        if (issue.display.empty()) {
            issue.display = json::text(details, "text");
        }
        outcome.issues.push_back(std::move(issue));
    }
    return outcome;
}

StaffMessage staffMessage(int httpStatus, const OperationOutcome& outcome) {
    const OutcomeIssue issue = outcome.primary();
    StaffMessage message;
    message.code = issue.code.empty() ? "http-" + std::to_string(httpStatus) : issue.code;
    for (const auto& known : kKnownCodes) {
        if (known.code == issue.code) {
            message.text = std::string(known.text);
            return message;
        }
    }
    message.text = std::string(textForStatus(httpStatus));
    // e-RS's own words say more than the status can; diagnostics when there is no display.
    const std::string& detail = issue.display.empty() ? issue.diagnostics : issue.display;
    if (!detail.empty()) {
        message.text += " e-RS says: " + detail;
    }
    return message;
}

StaffMessage staffMessageForBody(int httpStatus, std::string_view body) {
    auto outcome = parseOperationOutcome(body);
    return staffMessage(httpStatus, outcome ? *outcome : OperationOutcome{});
}

} // namespace gp::messaging::ers
