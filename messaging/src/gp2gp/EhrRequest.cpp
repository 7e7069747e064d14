#include "Gp2gpXml.hpp"

#include <gp/messaging/gp2gp/EhrRequest.hpp>
#include <gp/messaging/gp2gp/Gp2gp.hpp>

namespace gp::messaging::gp2gp {

namespace {

void writeOrganisation(hl7::Hl7Writer& w, std::string_view element, std::string_view typeCode,
                       std::string_view ods) {
    w.open(element, {{"typeCode", typeCode}});
    w.open("AgentOrgSDS", {{"classCode", "AGNT"}});
    w.open("agentOrganizationSDS", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", detail::kOdsRoot}, {"extension", ods}});
    w.close();
    w.close();
    w.close();
}

} // namespace

std::string buildEhrRequest(const EhrRequest& r) {
    hl7::Hl7Writer w;
    hl7::openTransmissionWrapper(w, {.interaction = kEhrRequest,
                                     .messageId = r.messageId,
                                     .creationTime = r.creationTime,
                                     .toAsid = r.senderAsid,
                                     .fromAsid = r.requesterAsid,
                                     .versionCode = detail::kVersionCode});
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("EhrRequest", {{"classCode", "EXTRACT"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", r.requestId}});
    w.open("recordTarget", {{"typeCode", "RCT"}});
    w.open("patient", {{"classCode", "PAT"}});
    w.empty("id", {{"root", detail::kNhsNumberRoot}, {"extension", r.nhsNumber}});
    w.close(); // patient
    w.close(); // recordTarget
    // The author is the practice asking (the patient's new one); the destination holds the record.
    writeOrganisation(w, "author", "AUT", r.requesterOds);
    writeOrganisation(w, "destination", "DST", r.senderOds);
    w.close(); // EhrRequest
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

Result<EhrRequest> parseEhrRequest(std::string_view xmlText) {
    auto parsed = detail::parseDocument(xmlText);
    if (!parsed) {
        return parsed.error();
    }
    const xml::Document& doc = *parsed;
    if (Status root = detail::expectRoot(doc, kEhrRequest); !root) {
        return root.error();
    }

    const std::string request =
        "/hl7:" + std::string(kEhrRequest) + "/hl7:ControlActEvent/hl7:subject/hl7:EhrRequest";
    struct Field {
        std::string xpath;
        const char* where;
        std::string* target;
    };
    EhrRequest r;
    const std::string orgId = "/hl7:AgentOrgSDS/hl7:agentOrganizationSDS/hl7:id";
    const Field fields[] = {
        {hl7::wrapperMessageIdPath("/*"), "id/@root", &r.messageId},
        {request + "/hl7:id/@root", "EhrRequest/id/@root", &r.requestId},
        {request + "/hl7:recordTarget/hl7:patient/hl7:id[@root='" +
             std::string(detail::kNhsNumberRoot) + "']/@extension",
         "recordTarget/patient/id/@extension", &r.nhsNumber},
        {request + "/hl7:author" + orgId + "/@extension",
         "author/AgentOrgSDS/agentOrganizationSDS/id/@extension", &r.requesterOds},
        {request + "/hl7:destination" + orgId + "/@extension",
         "destination/AgentOrgSDS/agentOrganizationSDS/id/@extension", &r.senderOds},
        {hl7::wrapperSenderAsidPath("/*"), "communicationFunctionSnd/device/id/@extension",
         &r.requesterAsid},
        {hl7::wrapperReceiverAsidPath("/*"), "communicationFunctionRcv/device/id/@extension",
         &r.senderAsid},
    };
    for (const Field& field : fields) {
        std::optional<std::string> value = doc.text(field.xpath);
        if (!value || value->empty()) {
            return Error{field.where, "is missing"};
        }
        *field.target = std::move(*value);
    }

    const std::optional<std::string> time = doc.text("/*/hl7:creationTime/@value");
    if (!time) {
        return Error{"creationTime/@value", "is missing"};
    }
    const auto creation = detail::parseHl7Time(*time);
    if (!creation) {
        return Error{"creationTime/@value", "is not an HL7 time: '" + *time + "'"};
    }
    r.creationTime = *creation;
    return r;
}

} // namespace gp::messaging::gp2gp
