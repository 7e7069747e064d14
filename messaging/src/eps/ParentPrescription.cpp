#include "EpsXml.hpp"

#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <stdexcept>

namespace gp::messaging::eps {

namespace {

constexpr std::string_view kSnomedRoot = "2.16.840.1.113883.2.1.3.2.4.15";
constexpr std::string_view kGenderRoot = "2.16.840.1.113883.2.1.3.2.4.16.25";
constexpr std::string_view kTreatmentTypeRoot = "2.16.840.1.113883.2.1.3.2.4.16.36";
constexpr std::string_view kDispensingSiteRoot = "2.16.840.1.113883.2.1.3.2.4.17.21";
constexpr std::string_view kCareProvisionRoot = "2.16.840.1.113883.2.1.3.2.4.17.37";
constexpr std::size_t kMaxItems = 4;
// The short-form prescription ID carries the prescriber's code in a six-character block.
constexpr std::size_t kMaxPrescriberOdsLength = 6;

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

bool allDigits(std::string_view text) {
    for (char c : text) {
        if (!isDigit(c)) {
            return false;
        }
    }
    return true;
}

std::optional<std::chrono::year_month_day> parseDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') {
        return std::nullopt;
    }
    const std::string_view y = text.substr(0, 4);
    const std::string_view m = text.substr(5, 2);
    const std::string_view d = text.substr(8, 2);
    if (!allDigits(y) || !allDigits(m) || !allDigits(d)) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{
        std::chrono::year{std::stoi(std::string(y))},
        std::chrono::month{static_cast<unsigned>(std::stoi(std::string(m)))},
        std::chrono::day{static_cast<unsigned>(std::stoi(std::string(d)))}};
    if (!date.ok()) {
        return std::nullopt;
    }
    return date;
}

// Digits, optionally a point and more digits, and not zero: "21", "2.5", "0.5".
bool isPositiveDecimal(std::string_view text) {
    const auto point = text.find('.');
    const std::string_view whole = text.substr(0, point);
    const std::string_view fraction =
        point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
    if (whole.empty() || !allDigits(whole) || !allDigits(fraction)) {
        return false;
    }
    if (point != std::string_view::npos && fraction.empty()) {
        return false;
    }
    return text.find_first_of("123456789") != std::string_view::npos;
}

std::optional<std::string_view> genderCode(std::string_view gender) {
    if (gender == "male") {
        return "1";
    }
    if (gender == "female") {
        return "2";
    }
    if (gender == "other") {
        return "9";
    }
    if (gender == "unknown") {
        return "0";
    }
    return std::nullopt;
}

void checkWith(std::vector<Error>& errors, const std::string& where, const Status& status) {
    if (!status.ok()) {
        errors.push_back(Error{where, status.error().message});
    }
}

void require(std::vector<Error>& errors, const std::string& where, std::string_view value) {
    if (value.empty()) {
        errors.push_back(Error{where, "is required"});
    }
}

void validateItem(std::vector<Error>& errors, const LineItem& item, std::size_t index) {
    const std::string prefix = "items[" + std::to_string(index) + "].";
    if (!ids::isUpperCaseUuid(item.itemId)) {
        errors.push_back(Error{prefix + "itemId", "must be an upper-case UUID"});
    }
    if (item.dmdCode.size() < 6 || item.dmdCode.size() > 18 || !allDigits(item.dmdCode)) {
        errors.push_back(Error{prefix + "dmdCode", "must be a dm+d code of 6 to 18 digits"});
    }
    if (!isPositiveDecimal(item.quantity)) {
        errors.push_back(Error{prefix + "quantity", "must be a positive decimal number"});
    }
    require(errors, prefix + "dosage", item.dosage);
}

void writePatient(hl7::Hl7Writer& w, const ParentPrescription& p) {
    const Patient& patient = p.patient;
    w.open("recordTarget", {{"typeCode", "RCT"}});
    w.open("Patient", {{"classCode", "PAT"}});
    w.empty("id", {{"root", kNhsNumberRoot}, {"extension", patient.nhsNumber}});
    if (!patient.postcode.empty()) {
        w.open("addr", {{"use", "H"}});
        w.text("postalCode", patient.postcode);
        w.close();
    }
    w.open("patientPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    w.open("name", {{"use", "L"}});
    if (!patient.given.empty()) {
        w.text("given", patient.given);
    }
    w.text("family", patient.family);
    w.close();
    w.empty("administrativeGenderCode",
            {{"code", genderCode(patient.gender).value_or("0")}, {"codeSystem", kGenderRoot}});
    std::string birthTime = patient.birthDate;
    std::erase(birthTime, '-');
    w.empty("birthTime", {{"value", birthTime}});
    // The practice the patient is registered with, which is the prescribing practice in primary
    // care.
    w.open("playedProviderPatient", {{"classCode", "PAT"}});
    w.open("subjectOf", {{"typeCode", "SBJ"}});
    w.open("patientCareProvision", {{"classCode", "PCPR"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "1"}, {"codeSystem", kCareProvisionRoot}});
    w.open("responsibleParty", {{"typeCode", "RESP"}});
    w.open("healthCareProvider", {{"classCode", "PROV"}});
    w.empty("id", {{"root", kOdsRoot}, {"extension", p.prescriber.odsCode}});
    w.close(); // healthCareProvider
    w.close(); // responsibleParty
    w.close(); // patientCareProvision
    w.close(); // subjectOf
    w.close(); // playedProviderPatient
    w.close(); // patientPerson
    w.close(); // Patient
    w.close(); // recordTarget
}

void writeAuthor(hl7::Hl7Writer& w, const ParentPrescription& p) {
    w.open("author", {{"typeCode", "AUT"}, {"contextControlCode", "OP"}});
    w.empty("time", {{"value", hl7::hl7Timestamp(p.authoredOn)}});
    // Signing happens outside gp-agent's scope; the element is required, so it is null.
    w.empty("signatureText", {{"nullFlavor", "NA"}});
    detail::writeAgentPerson(w, p.prescriber, p.organisation);
    w.close(); // author
}

void writeObservation(hl7::Hl7Writer& w, std::string_view relationship, std::string_view element,
                      std::string_view code, std::string_view value, std::string_view valueSystem,
                      std::string_view separatable) {
    w.open(relationship, {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", separatable}});
    w.open(element, {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", code}, {"codeSystem", detail::kObservationTypeRoot}});
    w.empty("value", {{"code", value}, {"codeSystem", valueSystem}});
    w.close();
    w.close();
}

void writeLineItem(hl7::Hl7Writer& w, const ParentPrescription& p, const LineItem& item) {
    w.open("pertinentInformation2", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "true"}});
    w.open("pertinentLineItem", {{"classCode", "SBADM"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", item.itemId}});
    w.empty("code", {{"code", "225426007"},
                     {"codeSystem", kSnomedRoot},
                     {"displayName", "Administration of therapeutic substance (procedure)"}});
    w.empty("effectiveTime", {{"nullFlavor", "NA"}});
    std::string repeats;
    if (p.repeatsAllowed) {
        repeats = std::to_string(*p.repeatsAllowed);
        w.open("repeatNumber");
        w.empty("low", {{"value", "1"}});
        w.empty("high", {{"value", repeats}});
        w.close();
    }
    w.open("product", {{"typeCode", "PRD"}, {"contextControlCode", "OP"}});
    w.open("manufacturedProduct", {{"classCode", "MANU"}});
    w.open("manufacturedRequestedMaterial", {{"classCode", "MMAT"}, {"determinerCode", "KIND"}});
    w.empty(
        "code",
        {{"code", item.dmdCode}, {"codeSystem", kSnomedRoot}, {"displayName", item.description}});
    w.close(); // manufacturedRequestedMaterial
    w.close(); // manufacturedProduct
    w.close(); // product
    w.open("component", {{"typeCode", "COMP"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("lineItemQuantity", {{"classCode", "SPLY"}, {"moodCode", "RQO"}});
    w.empty("code", {{"code", "373784005"},
                     {"codeSystem", kSnomedRoot},
                     {"displayName", "Dispensing medication (procedure)"}});
    w.open("quantity", {{"value", item.quantity}, {"unit", item.unitDmdCode}});
    w.empty("translation", {{"value", item.quantity},
                            {"code", item.unitDmdCode},
                            {"codeSystem", kSnomedRoot},
                            {"displayName", item.unit}});
    w.close(); // quantity
    w.close(); // lineItemQuantity
    w.close(); // component
    w.open("pertinentInformation2", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentDosageInstructions", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "DI"}, {"codeSystem", detail::kObservationTypeRoot}});
    w.text("value", item.dosage);
    w.close(); // pertinentDosageInstructions
    w.close(); // pertinentInformation2
    w.close(); // pertinentLineItem
    w.close(); // pertinentInformation2
}

void writePrescription(hl7::Hl7Writer& w, const ParentPrescription& p) {
    w.open("pertinentInformation1", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.open("pertinentPrescription", {{"classCode", "SBADM"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", p.prescriptionUuid}});
    w.empty("id", {{"root", kPrescriptionIdRoot}, {"extension", p.prescriptionId}});
    w.empty("code", {{"code", "225426007"},
                     {"codeSystem", kSnomedRoot},
                     {"displayName", "Administration of therapeutic substance (procedure)"}});
    w.empty("effectiveTime", {{"nullFlavor", "NA"}});
    std::string repeats;
    if (p.repeatsAllowed) {
        repeats = std::to_string(*p.repeatsAllowed);
        w.open("repeatNumber");
        w.empty("low", {{"value", "1"}});
        w.empty("high", {{"value", repeats}});
        w.close();
    }
    if (p.nominatedPharmacy) {
        w.open("performer", {{"typeCode", "PRF"}, {"contextControlCode", "OP"}});
        w.open("AgentOrgSDS", {{"classCode", "AGNT"}});
        w.open("agentOrganizationSDS", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
        w.empty("id", {{"root", kOdsRoot}, {"extension", *p.nominatedPharmacy}});
        w.close();
        w.close();
        w.close();
    }
    writeAuthor(w, p);
    if (p.daysSupply) {
        const std::string days = std::to_string(*p.daysSupply);
        w.open("component1", {{"typeCode", "COMP"}});
        w.empty("seperatableInd", {{"value", "true"}});
        w.open("daysSupply", {{"classCode", "SPLY"}, {"moodCode", "RQO"}});
        w.empty("code", {{"code", "373784005"}, {"codeSystem", kSnomedRoot}});
        w.open("expectedUseTime");
        w.empty("width", {{"value", days}, {"unit", "d"}});
        w.close();
        w.close();
        w.close();
    }
    const std::string treatment = treatmentTypeCode(p.treatmentType);
    writeObservation(w, "pertinentInformation5", "pertinentPrescriptionTreatmentType", "PTT",
                     treatment, kTreatmentTypeRoot, "false");
    writeObservation(w, "pertinentInformation1", "pertinentDispensingSitePreference", "DSP",
                     p.dispensingSitePreference, kDispensingSiteRoot, "true");
    for (const LineItem& item : p.items) {
        writeLineItem(w, p, item);
    }
    w.close(); // pertinentPrescription
    w.close(); // pertinentInformation1
}

} // namespace

std::string treatmentTypeCode(TreatmentType type) {
    switch (type) {
    case TreatmentType::Acute:
        return "0001";
    case TreatmentType::Repeat:
        return "0002";
    case TreatmentType::RepeatDispensing:
        return "0003";
    }
    throw std::logic_error("unknown TreatmentType");
}

std::vector<Error> validate(const ParentPrescription& p) {
    std::vector<Error> errors;

    checkWith(errors, "patient.nhsNumber", ids::checkNhsNumber(p.patient.nhsNumber));
    require(errors, "patient.family", p.patient.family);
    if (!parseDate(p.patient.birthDate)) {
        errors.push_back(Error{"patient.birthDate", "must be a real date written YYYY-MM-DD"});
    }
    if (!genderCode(p.patient.gender)) {
        errors.push_back(Error{"patient.gender", "must be male, female, other or unknown"});
    }

    if (Status ods = ids::checkOdsCode(p.prescriber.odsCode); !ods) {
        errors.push_back(Error{"prescriber.odsCode", ods.error().message});
    } else if (p.prescriber.odsCode.size() > kMaxPrescriberOdsLength) {
        errors.push_back(
            Error{"prescriber.odsCode", "must be at most 6 characters to fit the prescription ID"});
    }
    require(errors, "prescriber.sdsUserId", p.prescriber.sdsUserId);
    require(errors, "prescriber.sdsRoleProfileId", p.prescriber.sdsRoleProfileId);
    require(errors, "prescriber.name", p.prescriber.name);
    checkWith(errors, "organisation.odsCode", ids::checkOdsCode(p.organisation.odsCode));

    checkWith(errors, "prescriptionId", ids::checkPrescriptionId(p.prescriptionId));
    if (!ids::isUpperCaseUuid(p.prescriptionUuid)) {
        errors.push_back(Error{"prescriptionUuid", "must be an upper-case UUID"});
    }
    const std::string& site = p.dispensingSitePreference;
    if (site != "P1" && site != "P2" && site != "P3") {
        errors.push_back(Error{"dispensingSitePreference", "must be P1, P2 or P3"});
    }
    if (p.nominatedPharmacy) {
        checkWith(errors, "nominatedPharmacy", ids::checkOdsCode(*p.nominatedPharmacy));
    }

    if (p.items.empty() || p.items.size() > kMaxItems) {
        errors.push_back(
            Error{"items", "must hold 1 to 4 items, not " + std::to_string(p.items.size())});
    }
    for (std::size_t i = 0; i < p.items.size(); ++i) {
        validateItem(errors, p.items[i], i);
    }

    const bool repeatDispensing = p.treatmentType == TreatmentType::RepeatDispensing;
    if (p.repeatsAllowed) {
        if (!repeatDispensing) {
            errors.push_back(Error{"repeatsAllowed", "is only allowed for repeat dispensing"});
        } else if (*p.repeatsAllowed < 1 || *p.repeatsAllowed > 99) {
            errors.push_back(Error{"repeatsAllowed", "must be 1 to 99"});
        }
    } else if (repeatDispensing) {
        errors.push_back(Error{"repeatsAllowed", "is required for repeat dispensing"});
    }
    if (p.daysSupply && (*p.daysSupply < 1 || *p.daysSupply > 366)) {
        errors.push_back(Error{"daysSupply", "must be 1 to 366"});
    }
    return errors;
}

std::string buildParentPrescription(const ParentPrescription& p, const Hl7Wrapper& wrapper) {
    hl7::Hl7Writer w;
    hl7::openTransmissionWrapper(
        w, {.interaction = kParentPrescriptionInteraction,
            .messageId = wrapper.messageId,
            .creationTime = wrapper.creationTime,
            .toAsid = wrapper.toAsid,
            .fromAsid = wrapper.fromAsid,
            .versionCode = detail::kVersionCode,
            .author = hl7::WrapperAuthor{p.prescriber.sdsRoleProfileId, p.prescriber.sdsUserId}});
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("ParentPrescription", {{"classCode", "INFO"}, {"moodCode", "EVN"}});
    // Real senders give the ParentPrescription the transmission's id.
    w.empty("id", {{"root", wrapper.messageId}});
    w.empty("code", {{"code", "163501000000109"},
                     {"codeSystem", kSnomedRoot},
                     {"displayName", "Prescription - FocusActOrEvent (record artifact)"}});
    w.empty("effectiveTime", {{"value", hl7::hl7Timestamp(p.authoredOn)}});
    w.empty("typeId", {{"root", detail::kMessageTypeRoot}, {"extension", "PORX_MT132004UK31"}});
    writePatient(w, p);
    writePrescription(w, p);
    w.close(); // ParentPrescription
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

} // namespace gp::messaging::eps
