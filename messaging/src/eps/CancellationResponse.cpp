#include "EpsXml.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <array>
#include <utility>

namespace gp::messaging::eps {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kResponses{{
    {"0001", "Prescription/item was cancelled"},
    {"0002", "Prescription/item was not cancelled. With dispenser. Marked for cancellation"},
    {"0003", "Prescription/item was not cancelled. With dispenser active. Marked for cancellation"},
    {"0004", "Prescription/item was not cancelled. Prescription has been dispensed"},
    {"0005", "Prescription/item had expired"},
    {"0006", "Prescription/item had already been cancelled"},
    {"0007", "Prescription/item cancellation requested by another prescriber"},
    {"0008", "Prescription/item not found"},
    {"0009", "Cancellation functionality disabled in Spine"},
    {"0010", "Prescription/item was not cancelled. Prescription has been not dispensed"},
    {"5000", "Unable to process message"},
    {"5888", "Invalid message"},
}};

// The response is read wherever it sits: bare, or inside another wrapper.
const std::string kRoot = "(//hl7:PORX_IN050101UK31)[1]";
const std::string kBody = "(//hl7:CancellationResponse)[1]";

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

} // namespace

std::string_view cancellationResponseText(std::string_view code) {
    for (const auto& [known, text] : kResponses) {
        if (known == code) {
            return text;
        }
    }
    return {};
}

std::string buildCancellationResponse(const CancellationResponse& r) {
    hl7::Hl7Writer w;
    hl7::openTransmissionWrapper(
        w, {.interaction = kCancellationResponseInteraction,
            .messageId = r.messageId,
            .creationTime = r.creationTime,
            .toAsid = r.toAsid,
            .fromAsid = r.fromAsid,
            .versionCode = detail::kVersionCode,
            .acknowledgement = hl7::WrapperAcknowledgement{
                .typeCode = r.code == "0001" ? "AA" : "AE", .messageRef = r.messageRef}});
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("CancellationResponse", {{"classCode", "INFRM"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", r.messageId}});
    w.empty("effectiveTime", {{"value", hl7::hl7Timestamp(r.creationTime)}});
    if (!r.nhsNumber.empty()) {
        detail::writePatientRef(w, r.nhsNumber);
    }
    if (!r.dispenserOds.empty()) {
        // The dispenser that holds the prescription, so the prescriber knows whom to call.
        w.open("performer", {{"typeCode", "PRF"}});
        w.open("AgentPerson", {{"classCode", "AGNT"}});
        w.open("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
        w.empty("id", {{"root", kOdsRoot}, {"extension", r.dispenserOds}});
        w.close(); // representedOrganization
        w.close(); // AgentPerson
        w.close(); // performer
    }
    detail::writePrescriptionIdRef(w, r.prescriptionId);
    detail::writeLineItemRef(w, r.lineItemId);
    w.open("pertinentInformation3", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentResponse", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "CRR"}, {"codeSystem", detail::kObservationTypeRoot}});
    w.empty("value", {{"code", r.code},
                      {"codeSystem", kCancellationResponseSystem},
                      {"displayName", r.displayName}});
    w.close(); // pertinentResponse
    w.close(); // pertinentInformation3
    w.open("pertinentInformation4", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "true"}});
    w.open("pertinentCancellationRequestRef", {{"classCode", "ACTN"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", r.cancellationRequestId}});
    w.close(); // pertinentCancellationRequestRef
    w.close(); // pertinentInformation4
    w.close(); // CancellationResponse
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

Result<CancellationResponse> parseCancellationResponse(std::string_view text) {
    auto doc = xml::parse(text);
    if (!doc) {
        return Error{"PORX_IN050101UK31 " + doc.error().where, doc.error().message};
    }
    if (doc->count(kBody) == 0) {
        return failure("CancellationResponse", "is missing");
    }
    const auto read = [&](const std::string& path) {
        return trimmed(doc->text(path).value_or(""));
    };
    CancellationResponse r;
    r.code = read(kBody + "/hl7:pertinentInformation3/hl7:pertinentResponse/hl7:value/@code");
    if (r.code.empty()) {
        return failure("pertinentResponse/value/@code", "is missing");
    }
    r.displayName =
        read(kBody + "/hl7:pertinentInformation3/hl7:pertinentResponse/hl7:value/@displayName");
    r.prescriptionId = read(kBody + "/hl7:pertinentInformation2/hl7:pertinentPrescriptionID/"
                                    "hl7:value/@extension");
    if (r.prescriptionId.empty()) {
        return failure("pertinentPrescriptionID/value/@extension", "is missing");
    }
    r.lineItemId = read(kBody + "/hl7:pertinentInformation1/hl7:pertinentLineItemRef/hl7:id/@root");
    if (r.lineItemId.empty()) {
        return failure("pertinentLineItemRef/id/@root", "is missing");
    }
    r.cancellationRequestId = read(kBody + "/hl7:pertinentInformation4/"
                                           "hl7:pertinentCancellationRequestRef/hl7:id/@root");
    r.dispenserOds = read(
        kBody + "/hl7:performer/hl7:AgentPerson/hl7:representedOrganization/hl7:id/@extension");
    r.nhsNumber = read(kBody + "/hl7:recordTarget/hl7:Patient/hl7:id/@extension");
    r.messageId = read(hl7::wrapperMessageIdPath(kRoot));
    r.messageRef = read(hl7::wrapperMessageRefPath(kRoot));
    r.fromAsid = read(hl7::wrapperSenderAsidPath(kRoot));
    r.toAsid = read(hl7::wrapperReceiverAsidPath(kRoot));
    return r;
}

} // namespace gp::messaging::eps
