#pragma once

#include <gp/Result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gp::messaging::eps {

inline constexpr std::string_view kService = "urn:nhs:names:services:mm";
inline constexpr std::string_view kParentPrescriptionInteraction = "PORX_IN020101SM31";

/// OIDs the HL7 document uses, which spine-mock reads by its own XPath:
///  - patient NHS number: recordTarget/Patient/id[@root=kNhsNumberRoot]/@extension
///  - short-form prescription id: pertinentPrescription/id[@root=kPrescriptionIdRoot]/@extension
///  - each line item: one pertinentLineItem element
inline constexpr std::string_view kNhsNumberRoot = "2.16.840.1.113883.2.1.4.1";
inline constexpr std::string_view kPrescriptionIdRoot = "2.16.840.1.113883.2.1.3.2.4.18.8";
inline constexpr std::string_view kOdsRoot = "1.2.826.0.1285.0.1.10";

enum class TreatmentType { Acute, Repeat, RepeatDispensing }; // 0001, 0002, 0003

struct Patient {
    std::string nhsNumber;
    std::string family;
    std::string given;
    std::string birthDate; // YYYY-MM-DD
    std::string gender;    // male, female, other, unknown
    std::string postcode;
};

struct Prescriber {
    std::string odsCode; // the prescribing organisation (practice)
    std::string sdsUserId;
    std::string sdsRoleProfileId;
    std::string name;
    std::string professionalCode;
};

struct Organisation {
    std::string odsCode;
    std::string name;
};

struct LineItem {
    std::string itemId; // upper-case UUID
    std::string dmdCode;
    std::string description;
    std::string quantity; // decimal as text, e.g. "21" or "2.5"
    std::string unitDmdCode;
    std::string unit;
    std::string dosage;
};

struct ParentPrescription {
    std::string prescriptionId;   // short form, 20 characters, with check character
    std::string prescriptionUuid; // the prescription's long-form id (upper-case UUID)
    Patient patient;
    Prescriber prescriber;
    Organisation organisation;
    TreatmentType treatmentType = TreatmentType::Acute;
    std::string dispensingSitePreference = "P1";  // P1, P2 or P3
    std::optional<std::string> nominatedPharmacy; // ODS code
    std::optional<int> repeatsAllowed;            // repeat dispensing only, 1..99
    std::optional<int> daysSupply;                // 1..366
    std::chrono::sys_seconds authoredOn{};
    std::vector<LineItem> items; // 1 to 4
};

/// Every problem with the prescription, each naming its field as the local API spells it:
/// "patient.nhsNumber", "items[2].quantity", "dispensingSitePreference". Empty when valid.
std::vector<Error> validate(const ParentPrescription& prescription);

/// The HL7 transmission wrapper's identity and routing fields.
struct Hl7Wrapper {
    std::string messageId; // upper-case UUID; same as the ebXML MessageId
    std::chrono::sys_seconds creationTime{};
    std::string fromAsid;
    std::string toAsid;
};

/// The PORX_IN020101SM31 document (HL7 v3, namespace urn:hl7-org:v3). The caller validates first.
std::string buildParentPrescription(const ParentPrescription& prescription,
                                    const Hl7Wrapper& wrapper);

std::string treatmentTypeCode(TreatmentType type); // "0001", "0002", "0003"

} // namespace gp::messaging::eps
