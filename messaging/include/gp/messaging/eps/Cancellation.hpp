#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::eps {

inline constexpr std::string_view kCancellationRequestInteraction = "PORX_IN030101SM32";
inline constexpr std::string_view kCancellationResponseInteraction = "PORX_IN050101UK31";

/// Code systems of the cancellation documents: why the prescriber cancels, and what Spine made
/// of it.
inline constexpr std::string_view kCancellationReasonSystem = "2.16.840.1.113883.2.1.3.2.4.16.27";
inline constexpr std::string_view kCancellationResponseSystem = "2.16.840.1.113883.2.1.3.2.4.17.19";

/// The display name of a cancellation reason, 0001 ("Prescribing Error") to 0008; nothing for
/// any other code.
std::optional<std::string_view> cancellationReasonName(std::string_view code);

/// A PORX_IN030101SM32 CancellationRequest: one line item of one prescription per message.
struct CancellationRequest {
    std::string cancellationId;   // upper-case UUID: the CancellationRequest's own id
    std::string prescriptionId;   // short form, 20 characters
    std::string prescriptionUuid; // the prescription's long-form id; empty when not known
    std::string lineItemId;       // upper-case UUID of the item to cancel
    std::string reasonCode;       // 0001..0008
    std::string nhsNumber;
    Prescriber prescriber; // who cancels: author and responsible party
    Organisation organisation;
    std::chrono::sys_seconds effectiveTime{};
};

/// Every problem, each naming its field as the local API spells it ("lineItemId",
/// "prescriber.sdsUserId", "reason"). Empty when the request can be built.
std::vector<Error> validate(const CancellationRequest& request);

/// The PORX_IN030101SM32 document (HL7 v3, namespace urn:hl7-org:v3). The caller validates first.
std::string buildCancellationRequest(const CancellationRequest& request, const Hl7Wrapper& wrapper);

/// Spine's answer to one cancellation, a PORX_IN050101UK31 CancellationResponse.
struct CancellationResponse {
    std::string messageId;                   // the response's own id (upper-case UUID)
    std::chrono::sys_seconds creationTime{}; // written by the builder, not read back
    std::string messageRef;                  // the CancellationRequest message it answers
    std::string cancellationRequestId;       // that request's CancellationRequest id
    std::string prescriptionId;
    std::string lineItemId;
    std::string code;         // 0001..0010, 5000, 5888
    std::string displayName;  // Spine's text for the code
    std::string dispenserOds; // 0002/0003: the dispenser holding the prescription; else empty
    std::string nhsNumber;
    std::string fromAsid; // Spine's
    std::string toAsid;   // the prescriber system's
};

/// Spine's usual text for a cancellation response code; empty for a code it does not list.
std::string_view cancellationResponseText(std::string_view code);

/// Builds the document; acknowledgement typeCode is AA for 0001 and AE for any other code.
std::string buildCancellationResponse(const CancellationResponse& response);

/// Reads a PORX_IN050101UK31 document (the root may also be wrapped, e.g. in SOAP). Errors name
/// the element that is missing ("pertinentResponse/value/@code").
Result<CancellationResponse> parseCancellationResponse(std::string_view xml);

} // namespace gp::messaging::eps
