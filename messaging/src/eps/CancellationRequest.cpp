#include "EpsXml.hpp"

#include <gp/messaging/eps/Cancellation.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <array>
#include <utility>

namespace gp::messaging::eps {

namespace {

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

// Author and responsible party are the same person: the one cancelling, for the practice.
void writeAgentPerson(hl7::Hl7Writer& w, std::string_view element, std::string_view typeCode,
                      const CancellationRequest& r) {
    w.open(element, {{"typeCode", typeCode}, {"contextControlCode", "OP"}});
    detail::writeAgentPerson(w, r.prescriber, r.organisation);
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
    hl7::openTransmissionWrapper(
        w, {.interaction = kCancellationRequestInteraction,
            .messageId = wrapper.messageId,
            .creationTime = wrapper.creationTime,
            .toAsid = wrapper.toAsid,
            .fromAsid = wrapper.fromAsid,
            .versionCode = detail::kVersionCode,
            .author = hl7::WrapperAuthor{r.prescriber.sdsRoleProfileId, r.prescriber.sdsUserId}});

    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("CancellationRequest", {{"classCode", "INFO"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", r.cancellationId}});
    w.empty("effectiveTime", {{"value", hl7::hl7Timestamp(r.effectiveTime)}});
    w.empty("typeId", {{"root", detail::kMessageTypeRoot}, {"extension", "PORX_MT135001UK32"}});
    // Spine finds the prescription by its id; the NHS number alone identifies the patient here.
    detail::writePatientRef(w, r.nhsNumber);
    writeAgentPerson(w, "author", "AUT", r);
    writeAgentPerson(w, "responsibleParty", "RESP", r);

    detail::writePrescriptionIdRef(w, r.prescriptionId);
    detail::writeLineItemRef(w, r.lineItemId);

    w.open("pertinentInformation", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentCancellationReason", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "CR"}, {"codeSystem", detail::kObservationTypeRoot}});
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
