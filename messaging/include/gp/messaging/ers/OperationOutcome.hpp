#pragma once

#include <gp/Result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::ers {

/// One issue of a FHIR OperationOutcome, as e-RS sends them: `issue[].details.coding[0]` holds
/// e-RS's own error code (system eRS-APIErrorCode-1), `issue[].code` the FHIR issue type.
struct OutcomeIssue {
    std::string severity;    // "error", "warning", ...
    std::string issueType;   // FHIR issue type: "value", "invalid", "conflict", "lock-error", ...
    std::string code;        // e-RS's code, e.g. "REFERENCE_NOT_FOUND"; empty when none
    std::string display;     // e-RS's display text for the code
    std::string diagnostics; // free text; may name a field, never patient data from e-RS
};

struct OperationOutcome {
    std::vector<OutcomeIssue> issues;

    /// The first error (or fatal) issue, else the first issue; empty when there is none.
    OutcomeIssue primary() const;
};

/// Reads an OperationOutcome body. Errors: not JSON, not an object, resourceType other than
/// "OperationOutcome" (where "resourceType"), no issues (where "issue").
Result<OperationOutcome> parseOperationOutcome(std::string_view json);

/// What staff are told about a failed e-RS call, in plain English.
struct StaffMessage {
    std::string code; // e-RS's code when there is one, else "http-<status>"
    std::string text; // one sentence: what went wrong and what to do
};

/// Maps a failed call's HTTP status and (possibly empty) OperationOutcome to a short message for
/// practice staff. Known e-RS codes get their own sentence (see docs/ers.md); an unknown code
/// keeps e-RS's display (or diagnostics) after a sentence chosen by the HTTP status.
StaffMessage staffMessage(int httpStatus, const OperationOutcome& outcome);

/// The same for a body that may or may not be an OperationOutcome.
StaffMessage staffMessageForBody(int httpStatus, std::string_view body);

} // namespace gp::messaging::ers
