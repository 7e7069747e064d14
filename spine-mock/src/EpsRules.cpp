#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/SpineRules.hpp>

namespace gp::mock {

namespace {

namespace xml = messaging::xml;

constexpr std::size_t kMaxLineItems = 4;

// The roots are written out here rather than taken from messaging's eps header, so that the
// mock reads the document the way Spine does and not the way our builder wrote it.
const std::string kPrescriptionIdPath =
    "//hl7:pertinentPrescription/hl7:id[@root='2.16.840.1.113883.2.1.3.2.4.18.8']/@extension";
const std::string kNhsNumberPath =
    "//hl7:recordTarget/hl7:Patient/hl7:id[@root='2.16.840.1.113883.2.1.4.1']/@extension";
const std::string kLineItemPath = "//hl7:pertinentLineItem";
const std::string kLineItemIdPath = "//hl7:pertinentLineItem/hl7:id/@root";
const std::string kCancelPrescriptionIdPath =
    "//hl7:CancellationRequest//hl7:pertinentPrescriptionID/"
    "hl7:value[@root='2.16.840.1.113883.2.1.3.2.4.18.8']/@extension";
const std::string kCancelLineItemPath =
    "//hl7:CancellationRequest//hl7:pertinentLineItemRef/hl7:id/@root";
const std::string kCancelNhsNumberPath = "//hl7:CancellationRequest/hl7:recordTarget/hl7:Patient/"
                                         "hl7:id[@root='2.16.840.1.113883.2.1.4.1']/@extension";
const std::string kCancelIdPath = "//hl7:CancellationRequest/hl7:id/@root";
const std::string kCancelReasonPath =
    "//hl7:CancellationRequest//hl7:pertinentCancellationReason/hl7:value/@code";

bool isUpperCaseUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

CancellationOutcome cancellationOutcome(std::string code, std::string displayName) {
    CancellationOutcome outcome;
    outcome.code = std::move(code);
    outcome.displayName = std::move(displayName);
    return outcome;
}
const std::string kSenderAsidPath = "//hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension";
const std::string kReceiverAsidPath = "//hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension";

} // namespace

Result<PrescriptionFacts> readPrescriptionFacts(std::string_view hl7Xml) {
    auto document = xml::parse(hl7Xml);
    if (!document) {
        return failure("payload", "is not well-formed XML: " + document.error().describe());
    }
    PrescriptionFacts facts;
    facts.prescriptionId = document->text(kPrescriptionIdPath);
    facts.nhsNumber = document->text(kNhsNumberPath);
    facts.lineItems = document->count(kLineItemPath);
    facts.lineItemIds = document->texts(kLineItemIdPath);
    facts.senderAsid = document->text(kSenderAsidPath).value_or("");
    facts.receiverAsid = document->text(kReceiverAsidPath).value_or("");
    return facts;
}

AckOutcome unableToProcess(std::string_view reason) {
    return {false, "5000",
            "Unable to process message: information missing or invalid (" + std::string(reason) +
                ")"};
}

AckOutcome duplicatePrescriptionOutcome() {
    return {false, "0002", "Duplicate prescription ID: already accepted by Spine"};
}

AckOutcome acceptedOutcome() {
    return {};
}

std::optional<AckOutcome> findRuleViolation(const PrescriptionFacts& facts) {
    if (!facts.prescriptionId) {
        return unableToProcess("prescriptionId is missing");
    }
    if (auto checked = rules::checkPrescriptionId(*facts.prescriptionId); !checked) {
        return AckOutcome{false, "5009", "Invalid prescription ID: " + checked.error().describe()};
    }
    if (!facts.nhsNumber) {
        return unableToProcess("nhsNumber is missing");
    }
    if (!rules::checkNhsNumber(*facts.nhsNumber)) {
        return unableToProcess("nhsNumber is not valid");
    }
    if (facts.lineItems == 0) {
        return unableToProcess("no line items found");
    }
    if (facts.lineItems > kMaxLineItems) {
        return unableToProcess("more than 4 line items");
    }
    return std::nullopt;
}

Result<CancellationFacts> readCancellationFacts(std::string_view hl7Xml) {
    auto document = xml::parse(hl7Xml);
    if (!document) {
        return failure("payload", "is not well-formed XML: " + document.error().describe());
    }
    CancellationFacts facts;
    facts.prescriptionId = document->text(kCancelPrescriptionIdPath);
    facts.lineItemId = document->text(kCancelLineItemPath);
    facts.nhsNumber = document->text(kCancelNhsNumberPath);
    facts.cancellationId = document->text(kCancelIdPath).value_or("");
    facts.reasonCode = document->text(kCancelReasonPath).value_or("");
    facts.senderAsid = document->text(kSenderAsidPath).value_or("");
    facts.receiverAsid = document->text(kReceiverAsidPath).value_or("");
    return facts;
}

std::optional<CancellationOutcome> findCancellationViolation(const CancellationFacts& facts) {
    if (!facts.prescriptionId || !facts.lineItemId || !facts.nhsNumber ||
        facts.reasonCode.empty()) {
        return cancellationOutcome("5000", "Unable to process message: information missing");
    }
    if (!rules::checkPrescriptionId(*facts.prescriptionId)) {
        return cancellationOutcome("5888", "Invalid message: prescription ID is not valid");
    }
    if (!isUpperCaseUuid(*facts.lineItemId)) {
        return cancellationOutcome("5888", "Invalid message: line item ID is not a UUID");
    }
    if (!rules::checkNhsNumber(*facts.nhsNumber)) {
        return cancellationOutcome("5888", "Invalid message: NHS number is not valid");
    }
    return std::nullopt;
}

CancellationOutcome decideCancellation(bool prescriptionKnown,
                                       const std::optional<ItemState>& item) {
    if (!prescriptionKnown) {
        CancellationOutcome held = cancellationOutcome("0008", "Prescription/item not found");
        held.hold = true;
        return held;
    }
    if (!item) {
        return cancellationOutcome("0008", "Prescription/item not found");
    }
    if (item->state == "cancelled") {
        return cancellationOutcome("0006", "Prescription/item had already been cancelled");
    }
    if (item->state == "dispensed") {
        return cancellationOutcome(
            "0004", "Prescription/item was not cancelled. Prescription has been dispensed");
    }
    if (item->state == "with-dispenser") {
        CancellationOutcome marked = cancellationOutcome(
            "0002", "Prescription/item was not cancelled. With dispenser. Marked for cancellation");
        marked.dispenserOds = item->dispenserOds;
        return marked;
    }
    CancellationOutcome cancelled = cancellationOutcome("0001", "Prescription/item was cancelled");
    cancelled.newItemState = "cancelled";
    return cancelled;
}

} // namespace gp::mock
