#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::mock {

/// The detected-issue code system spine-mock puts on its AE acknowledgements (Spine's
/// application error codes as the EPS API lists them).
inline constexpr std::string_view kEpsErrorCodeSystem = "2.16.840.1.113883.2.1.3.2.4.17.32";

inline constexpr std::string_view kEpsService = "urn:nhs:names:services:mm";
inline constexpr std::string_view kParentPrescription = "PORX_IN020101SM31";
inline constexpr std::string_view kCancellationRequest = "PORX_IN030101SM32";
inline constexpr std::string_view kCancellationResponse = "PORX_IN050101UK31";

/// What the rules look at, read from a PORX_IN020101SM31 payload by spine-mock's own XPath.
struct PrescriptionFacts {
    std::optional<std::string> prescriptionId;
    std::optional<std::string> nhsNumber;
    std::size_t lineItems = 0;
    std::vector<std::string> lineItemIds; // each pertinentLineItem's id, kept for cancellations
    std::string senderAsid;               // communicationFunctionSnd, to address the ack back
    std::string receiverAsid;             // communicationFunctionRcv
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

/// What the cancellation rules look at, read from a PORX_IN030101SM32 payload by spine-mock's
/// own XPath.
struct CancellationFacts {
    std::optional<std::string> prescriptionId;
    std::optional<std::string> lineItemId;
    std::optional<std::string> nhsNumber;
    std::string cancellationId; // the CancellationRequest's id, echoed in the response
    std::string reasonCode;
    std::string senderAsid;
    std::string receiverAsid;
};

/// Fails (where "payload") only when the payload is not well-formed XML.
Result<CancellationFacts> readCancellationFacts(std::string_view hl7Xml);

/// A line item as the mock keeps it: live, cancelled, dispensed, or with-dispenser (marked for
/// cancellation when one arrives, answered 0002).
struct ItemState {
    std::string state;
    std::string dispenserOds;
};

/// Spine's answer to one cancellation, and what it does to the item.
struct CancellationOutcome {
    std::string code; // 0001, 0002, 0004, 0006, 0008, 5000, 5888
    std::string displayName;
    std::string dispenserOds; // 0002
    std::string newItemState; // the item's state afterwards; empty: unchanged
    bool hold = false;        // kept, and applied when the prescription lands
};

/// Spine's checks on a cancellation's own fields (5000 missing, 5888 malformed); nothing when
/// they pass.
std::optional<CancellationOutcome> findCancellationViolation(const CancellationFacts& facts);

/// Spine's rules for a cancellation that passed its checks. `prescriptionKnown`: a
/// ParentPrescription with this id was accepted; `item`: the line item's state, nothing when the
/// prescription has no such item. An unknown prescription is not refused: Spine cannot tell it
/// from one that has not arrived yet, so it answers 0008 and holds the cancellation.
CancellationOutcome decideCancellation(bool prescriptionKnown,
                                       const std::optional<ItemState>& item);

} // namespace gp::mock
