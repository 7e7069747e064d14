#include "../hl7/Hl7Writer.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <array>
#include <utility>

namespace gp::messaging::eps {

namespace {

constexpr std::string_view kInteractionIdRoot = "2.16.840.1.113883.2.1.3.2.4.12";
constexpr std::string_view kAsidRoot = "1.2.826.0.1285.0.2.0.107";
constexpr std::string_view kObservationTypeRoot = "2.16.840.1.113883.2.1.3.2.4.17.30";
constexpr std::string_view kVersionCode = "V3NPfIT3.0";

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

void writeAsidDevice(hl7::Hl7Writer& w, std::string_view element, std::string_view typeCode,
                     std::string_view asid) {
    w.open(element, {{"typeCode", typeCode}});
    w.open("device", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", asid}});
    w.close();
    w.close();
}

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
    w.openRoot(kCancellationResponseInteraction);
    w.empty("id", {{"root", r.messageId}});
    w.empty("creationTime", {{"value", hl7::hl7Timestamp(r.creationTime)}});
    w.empty("versionCode", {{"code", kVersionCode}});
    w.empty("interactionId",
            {{"root", kInteractionIdRoot}, {"extension", kCancellationResponseInteraction}});
    w.empty("processingCode", {{"code", "P"}});
    w.empty("processingModeCode", {{"code", "T"}});
    w.empty("acceptAckCode", {{"code", "NE"}});
    w.open("acknowledgement", {{"typeCode", r.code == "0001" ? "AA" : "AE"}});
    w.open("messageRef");
    w.empty("id", {{"root", r.messageRef}});
    w.close(); // messageRef
    w.close(); // acknowledgement
    writeAsidDevice(w, "communicationFunctionRcv", "RCV", r.toAsid);
    writeAsidDevice(w, "communicationFunctionSnd", "SND", r.fromAsid);

    w.open("ControlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    w.open("author1", {{"typeCode", "AUT"}});
    w.open("AgentSystemSDS", {{"classCode", "AGNT"}});
    w.open("agentSystemSDS", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", r.fromAsid}});
    w.close(); // agentSystemSDS
    w.close(); // AgentSystemSDS
    w.close(); // author1
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("CancellationResponse", {{"classCode", "INFRM"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", r.messageId}});
    w.empty("effectiveTime", {{"value", hl7::hl7Timestamp(r.creationTime)}});
    if (!r.nhsNumber.empty()) {
        w.open("recordTarget", {{"typeCode", "RCT"}});
        w.open("Patient", {{"classCode", "PAT"}});
        w.empty("id", {{"root", kNhsNumberRoot}, {"extension", r.nhsNumber}});
        w.close(); // Patient
        w.close(); // recordTarget
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
    w.open("pertinentInformation2", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentPrescriptionID", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "PID"}, {"codeSystem", kObservationTypeRoot}});
    w.empty("value", {{"root", kPrescriptionIdRoot}, {"extension", r.prescriptionId}});
    w.close(); // pertinentPrescriptionID
    w.close(); // pertinentInformation2
    w.open("pertinentInformation1",
           {{"typeCode", "PERT"}, {"inversionInd", "false"}, {"negationInd", "false"}});
    w.empty("seperatableInd", {{"value", "true"}});
    w.open("pertinentLineItemRef", {{"classCode", "SBADM"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", r.lineItemId}});
    w.close(); // pertinentLineItemRef
    w.close(); // pertinentInformation1
    w.open("pertinentInformation3", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentResponse", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "CRR"}, {"codeSystem", kObservationTypeRoot}});
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
    r.messageId = read(kRoot + "/hl7:id/@root");
    r.messageRef = read(kRoot + "/hl7:acknowledgement/hl7:messageRef/hl7:id/@root");
    r.fromAsid = read(kRoot + "/hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension");
    r.toAsid = read(kRoot + "/hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension");
    return r;
}

} // namespace gp::messaging::eps
