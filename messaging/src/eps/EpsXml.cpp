#include "EpsXml.hpp"

namespace gp::messaging::eps::detail {

void writeAgentPerson(hl7::Hl7Writer& w, const Prescriber& prescriber,
                      const Organisation& organisation) {
    w.open("AgentPerson", {{"classCode", "AGNT"}});
    w.empty("id", {{"root", hl7::kSdsRoleProfileRoot}, {"extension", prescriber.sdsRoleProfileId}});
    w.open("agentPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
    if (!prescriber.professionalCode.empty()) {
        w.empty("id",
                {{"root", kProfessionalCodeRoot}, {"extension", prescriber.professionalCode}});
    }
    w.text("name", prescriber.name);
    w.close(); // agentPerson
    w.open("representedOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kOdsRoot}, {"extension", organisation.odsCode}});
    if (!organisation.name.empty()) {
        w.text("name", organisation.name);
    }
    w.close(); // representedOrganization
    w.close(); // AgentPerson
}

void writePatientRef(hl7::Hl7Writer& w, std::string_view nhsNumber) {
    w.open("recordTarget", {{"typeCode", "RCT"}});
    w.open("Patient", {{"classCode", "PAT"}});
    w.empty("id", {{"root", kNhsNumberRoot}, {"extension", nhsNumber}});
    w.close(); // Patient
    w.close(); // recordTarget
}

void writePrescriptionIdRef(hl7::Hl7Writer& w, std::string_view prescriptionId) {
    w.open("pertinentInformation2", {{"typeCode", "PERT"}, {"contextConductionInd", "true"}});
    w.empty("seperatableInd", {{"value", "false"}});
    w.open("pertinentPrescriptionID", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("code", {{"code", "PID"}, {"codeSystem", kObservationTypeRoot}});
    w.empty("value", {{"root", kPrescriptionIdRoot}, {"extension", prescriptionId}});
    w.close(); // pertinentPrescriptionID
    w.close(); // pertinentInformation2
}

void writeLineItemRef(hl7::Hl7Writer& w, std::string_view lineItemId) {
    w.open("pertinentInformation1",
           {{"typeCode", "PERT"}, {"inversionInd", "false"}, {"negationInd", "false"}});
    w.empty("seperatableInd", {{"value", "true"}});
    w.open("pertinentLineItemRef", {{"classCode", "SBADM"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", lineItemId}});
    w.close(); // pertinentLineItemRef
    w.close(); // pertinentInformation1
}

} // namespace gp::messaging::eps::detail
