#include "../hl7/Hl7Writer.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <array>
#include <utility>

namespace gp::messaging::eps {

namespace {

constexpr std::string_view kInteractionIdRoot = "2.16.840.1.113883.2.1.3.2.4.12";
constexpr std::string_view kAsidRoot = "1.2.826.0.1285.0.2.0.107";
constexpr std::string_view kSdsUserRoot = "1.2.826.0.1285.0.2.0.65";
constexpr std::string_view kSdsRoleProfileRoot = "1.2.826.0.1285.0.2.0.67";
constexpr std::string_view kProfessionalCodeRoot = "1.2.826.0.1285.0.2.1.54";
constexpr std::string_view kObservationTypeRoot = "2.16.840.1.113883.2.1.3.2.4.17.30";
constexpr std::string_view kMessageTypeRoot = "2.16.840.1.113883.2.1.3.2.4.18.7";
constexpr std::string_view kVersionCode = "V3NPfIT3.0";

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kReasons{{
    {"0001", "Prescribing Error"},
    {"0002", "Clinical contra-indication"},
    {"0003", "Change to medication treatment regime"},
    {"0004", "Clinical grounds"},
    {"0005", "At the Patient's request"},
    {"0006", "At the Pharmacist's request"},
    {"0007", "Notification of Death"},
    {"0008", "Patient deducted - other reason"},
}};

void writeAsidDevice(hl7::Hl7Writer& w, std::string_view element, std::string_view typeCode,
                     std::string_view asid) {
    w.open(element, {{"typeCode", typeCode}});
    w.open("device", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", asid}});
    w.close();
    w.close();
}

// Author and responsible party are the same person: the one cancelling, for the practice.
void writeAgentPerson(hl7::Hl7Writer& w, std::string_view element, std::string_view typeCode,
                      const CancellationRequest& r) {
    w.open(element, {{"typeCode", typeCode}, {"contextControlCode", "OP"}});
    w.open("AgentPerson", {{"classCode", "AGNT"}});
    w.empty("id", {{"root", kSdsRoleProfileRoot}, {"extension", r.prescriber.sdsRoleProfileId}});
    w.open("agentPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    if (!r.prescriber.professionalCode.empty()) {
        w.empty("id",
                {{"root", kProfessionalCodeRoot}, {"extension", r.prescriber.professionalCode}});
    }
    w.text("name", r.prescriber.name);
    w.close(); // agentPerson
    w.open("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kOdsRoot}, {"extension", r.organisation.odsCode}});
    if (!r.organisation.name.empty()) {
        w.text("name", r.organisation.name);
    }
    w.close(); // representedOrganization
    w.close(); // AgentPerson
    w.close(); // element
}

} // namespace

std::optional<std::string_view> cancellationReasonName(std::string_view code) {
    for (const auto& [reason, name] : kReasons) {
        if (reason == code) {
            return name;
        }
    }
    return std::nullopt;
}

std::vector<Error> validate(const CancellationRequest& r) {
    std::vector<Error> errors;
    if (!ids::isUpperCaseUuid(r.cancellationId)) {
        errors.push_back(Error{"cancellationId", "must be an upper-case UUID"});
    }
    if (Status id = ids::checkPrescriptionId(r.prescriptionId); !id) {
        errors.push_back(Error{"prescriptionId", id.error().message});
    }
    if (!r.prescriptionUuid.empty() && !ids::isUpperCaseUuid(r.prescriptionUuid)) {
        errors.push_back(Error{"prescriptionUuid", "must be an upper-case UUID"});
    }
    if (!ids::isUpperCaseUuid(r.lineItemId)) {
        errors.push_back(Error{"lineItemId", "must be an upper-case UUID"});
    }
    if (!cancellationReasonName(r.reasonCode)) {
        errors.push_back(Error{"reason", "must be a cancellation reason code from 0001 to 0008"});
    }
    if (Status nhs = ids::checkNhsNumber(r.nhsNumber); !nhs) {
        errors.push_back(Error{"nhsNumber", nhs.error().message});
    }
    if (Status ods = ids::checkOdsCode(r.organisation.odsCode); !ods) {
        errors.push_back(Error{"organisation.odsCode", ods.error().message});
    }
    const std::pair<std::string_view, const std::string*> required[] = {
        {"prescriber.sdsUserId", &r.prescriber.sdsUserId},
        {"prescriber.sdsRoleProfileId", &r.prescriber.sdsRoleProfileId},
        {"prescriber.name", &r.prescriber.name},
    };
    for (const auto& [where, value] : required) {
        if (value->empty()) {
            errors.push_back(Error{std::string(where), "is required"});
        }
    }
    return errors;
}

std::string buildCancellationRequest(const CancellationRequest& r, const Hl7Wrapper& wrapper) {
    hl7::Hl7Writer w;
    w.openRoot(kCancellationRequestInteraction);
    w.empty("id", {{"root", wrapper.messageId}});
    w.empty("creationTime", {{"value", hl7::hl7Timestamp(wrapper.creationTime)}});
    w.empty("versionCode", {{"code", kVersionCode}});
    w.empty("interactionId",
            {{"root", kInteractionIdRoot}, {"extension", kCancellationRequestInteraction}});
    w.empty("processingCode", {{"code", "P"}});
    w.empty("processingModeCode", {{"code", "T"}});
    w.empty("acceptAckCode", {{"code", "NE"}});
    writeAsidDevice(w, "communicationFunctionRcv", "RCV", wrapper.toAsid);
    writeAsidDevice(w, "communicationFunctionSnd", "SND", wrapper.fromAsid);

    w.open("ControlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    w.open("author", {{"typeCode", "AUT"}});
    w.open("AgentPersonSDS", {{"classCode", "AGNT"}});
    w.empty("id", {{"root", kSdsRoleProfileRoot}, {"extension", r.prescriber.sdsRoleProfileId}});
    w.open("agentPersonSDS", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kSdsUserRoot}, {"extension", r.prescriber.sdsUserId}});
    w.close(); // agentPersonSDS
    w.close(); // AgentPersonSDS
    w.close(); // author
    w.open("author1", {{"typeCode", "AUT"}});
    w.open("AgentSystemSDS", {{"classCode", "AGNT"}});
    w.open("agentSystemSDS", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", wrapper.fromAsid}});
    w.close(); // agentSystemSDS
    w.close(); // AgentSystemSDS
    w.close(); // author1

    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("CancellationRequest", {{"classCode", "INFO"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", r.cancellationId}});
    w.empty("effectiveTime", {{"value", hl7::hl7Timestamp(r.effectiveTime)}});
    w.empty("typeId", {{"root", kMessageTypeRoot}, {"extension", "PORX_MT135001UK32"}});
    // Spine finds the prescription by its id; the NHS number alone identifies the patient here.
    w.open("recordTarget", {{"typeCode", "RCT"}});
    w.open("Patient", {{"classCode", "PAT"}});
    w.empty("id", {{"root", kNhsNumberRoot}, {"extension", r.nhsNumber}});
    w.close(); // Patient
    w.close(); // recordTarget
    writeAgentPerson(w, "author", "AUT", r);
    writeAgentPerson(w, "responsibleParty", "RESP", r);

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

    w.open("pertinentInformation", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentCancellationReason", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "CR"}, {"codeSystem", kObservationTypeRoot}});
    w.text("text", cancellationReasonName(r.reasonCode).value_or(""));
    w.empty("value", {{"code", r.reasonCode},
                      {"codeSystem", kCancellationReasonSystem},
                      {"displayName", cancellationReasonName(r.reasonCode).value_or("")}});
    w.close(); // pertinentCancellationReason
    w.close(); // pertinentInformation

    if (!r.prescriptionUuid.empty()) {
        w.open("pertinentInformation3", {{"typeCode", "PERT"}, {"contextConductionInd", "false"}});
        w.empty("seperatableInd", {{"value", "true"}});
        w.open("pertinentOriginalPrescriptionRef", {{"classCode", "SBADM"}, {"moodCode", "RQO"}});
        w.empty("id", {{"root", r.prescriptionUuid}});
        w.close(); // pertinentOriginalPrescriptionRef
        w.close(); // pertinentInformation3
    }
    w.close(); // CancellationRequest
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

} // namespace gp::messaging::eps
