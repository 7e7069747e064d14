#pragma once

// A ParentPrescription as the agent would send it to Spine (ebXML around HL7), for tests and
// benchmarks that talk to spine-mock directly. One fixed practice, patient and line item; the
// caller chooses the ids, so that each message is new to spine-mock's duplicate elimination.

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>

#include <chrono>
#include <string>

namespace gp::test {

struct PrescriptionIds {
    std::string messageId;
    std::string prescriptionId;
    std::string prescriptionUuid = "A0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3";
    std::string itemUuid = "B0B1C2D3-E4F5-4A6B-8C7D-8E9FA0B1C2D3";
};

inline messaging::ebxml::HttpBody spinePrescriptionMessage(const PrescriptionIds& ids) {
    messaging::eps::ParentPrescription p;
    p.prescriptionId = ids.prescriptionId;
    p.prescriptionUuid = ids.prescriptionUuid;
    p.patient = {"9449304130", "SMITH", "JANE", "1980-04-01", "female", "LS1 6AE"};
    p.prescriber = {"A83008", "555086689106", "555086718101", "DR A JONES", "G1234567"};
    p.organisation = {"A83008", "THE SURGERY"};
    p.authoredOn = std::chrono::sys_seconds(std::chrono::seconds(1'773'557'468));
    p.items.push_back({ids.itemUuid, "39732311000001104", "Amoxicillin 250mg capsules", "21",
                       "428673006", "capsule", "One capsule three times a day"});
    messaging::ebxml::Message message;
    auto& h = message.header;
    h.fromPartyId = "A83008-9199121";
    h.toPartyId = "YES-0000806";
    h.cpaId = "S20001A000100";
    h.conversationId = ids.messageId;
    h.service = "urn:nhs:names:services:mm";
    h.action = "PORX_IN020101SM31";
    h.messageId = ids.messageId;
    h.timestamp = p.authoredOn;
    h.duplicateElimination = true;
    h.ackRequested = messaging::ebxml::AckRequested::ToPartyMsh;
    h.syncReply = true;
    message.payload = messaging::eps::buildParentPrescription(
        p, {ids.messageId, p.authoredOn, "200000001234", "990000000000"});
    return messaging::ebxml::buildMessage(message);
}

} // namespace gp::test
