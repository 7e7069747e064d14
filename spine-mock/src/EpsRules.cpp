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

} // namespace gp::mock
