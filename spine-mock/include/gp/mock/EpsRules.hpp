#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace gp::mock {

/// The detected-issue code system spine-mock puts on its AE acknowledgements (Spine's
/// application error codes as the EPS API lists them).
inline constexpr std::string_view kEpsErrorCodeSystem = "2.16.840.1.113883.2.1.3.2.4.17.32";

inline constexpr std::string_view kEpsService = "urn:nhs:names:services:mm";
inline constexpr std::string_view kParentPrescription = "PORX_IN020101SM31";

/// What the rules look at, read from a PORX_IN020101SM31 payload by spine-mock's own XPath.
struct PrescriptionFacts {
    std::optional<std::string> prescriptionId;
    std::optional<std::string> nhsNumber;
    std::size_t lineItems = 0;
    std::string senderAsid;   // communicationFunctionSnd, to address the ack back
    std::string receiverAsid; // communicationFunctionRcv
};

/// Fails (where "payload") only when the payload is not well-formed XML.
Result<PrescriptionFacts> readPrescriptionFacts(std::string_view hl7Xml);

/// An application-level answer: AA with no code, or AE with one detected-issue code.
struct AckOutcome {
    bool accepted = true;
    std::string code;        // "0002", "5000", "5009"; empty for AA
    std::string displayName; // no patient data: field names only
    std::string replyCode() const { return accepted ? "AA" : code; }
};

/// Spine's checks on a new ParentPrescription, in Spine's order, up to but not including the
/// duplicate check (which needs the store). Returns the AE outcome of the first rule broken.
std::optional<AckOutcome> findRuleViolation(const PrescriptionFacts& facts);

AckOutcome duplicatePrescriptionOutcome();
AckOutcome unableToProcess(std::string_view reason);
AckOutcome acceptedOutcome();

} // namespace gp::mock
