#include "EpsOutbound.hpp"
#include "PrescriberJson.hpp"

#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/eps/PrescriptionRequest.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <algorithm>

namespace gp::agent {

EpsSubmissions::EpsSubmissions(Store& store, const Clock& clock,
                               messaging::ids::RandomSource& random, EpsRouting routing)
    : m_store(store), m_clock(clock), m_random(random), m_routing(std::move(routing)) {}

SubmissionResult EpsSubmissions::submit(std::string_view json, const std::string& actor) {
    return submitAs(json, actor, m_routing);
}

SubmissionResult EpsSubmissions::submit(std::string_view json, const std::string& actor,
                                        const Practice& practice) {
    return submitAs(json, actor, m_routing.forPractice(practice));
}

SubmissionResult EpsSubmissions::submitAs(std::string_view json, const std::string& actor,
                                          const EpsRouting& routing) {
    namespace ids = messaging::ids;
    namespace eps = messaging::eps;

    SubmissionResult result;
    auto request = readPrescriptionRequest(json);
    auto& prescription = request.prescription;

    if (prescription.organisation.odsCode.empty()) {
        prescription.organisation.odsCode = routing.practiceOdsCode;
    }
    // The prescriber's ODS code is part of the generated id; a code that cannot be is reported
    // by the validator below instead.
    const auto& prescriberOds = prescription.prescriber.odsCode;
    if (prescription.prescriptionId.empty() && prescriberOds.size() <= 6 &&
        ids::checkOdsCode(prescriberOds)) {
        prescription.prescriptionId =
            ids::newPrescriptionId(prescription.prescriber.odsCode, m_random);
    }
    for (auto& item : prescription.items) {
        if (item.itemId.empty()) {
            item.itemId = ids::newUuid(m_random);
        }
    }
    prescription.prescriptionUuid = ids::newUuid(m_random);
    const TimePoint now = m_clock.now();
    prescription.authoredOn = toSeconds(now);

    mergeErrors(request.errors, eps::validate(prescription));
    if (!request.errors.empty()) {
        result.kind = SubmissionResult::Kind::Invalid;
        result.errors = std::move(request.errors);
        return result;
    }

    const std::string messageId = ids::newUuid(m_random);
    const std::string conversationId = ids::newUuid(m_random);

    const OutboundMessage outbound = epsOutbound(
        routing,
        {eps::kParentPrescriptionInteraction, messageId, conversationId,
         prescription.prescriptionId, now},
        eps::buildParentPrescription(
            prescription, {messageId, toSeconds(now), routing.fromAsid, routing.spineAsid}));

    AuditEvent event{actor, "accepted", messageId,
                     "EPS prescription " + prescription.prescriptionId + ", " +
                         std::to_string(prescription.items.size()) + " item(s), practice " +
                         routing.practiceOdsCode,
                     prescription.patient.nhsNumber};
    EpsPrescription record;
    record.prescriptionId = prescription.prescriptionId;
    record.prescriptionUuid = prescription.prescriptionUuid;
    record.messageId = messageId;
    record.nhsNumber = prescription.patient.nhsNumber;
    record.prescriberJson =
        writePrescriberJson({prescription.prescriber, prescription.organisation});
    std::vector<EpsItem> items;
    for (const auto& line : prescription.items) {
        EpsItem item;
        item.prescriptionId = prescription.prescriptionId;
        item.lineItemId = line.itemId;
        item.state = "queued";
        item.prescriptionMessageId = messageId;
        items.push_back(std::move(item));
        result.itemIds.push_back(line.itemId);
    }
    // The items are recorded with the message in one transaction: a prescription that is
    // queued always has items to show and to cancel.
    auto stored = m_store.recordPrescription(record, items, outbound, event);
    if (!stored) {
        result.kind = SubmissionResult::Kind::NotStored;
        result.itemIds.clear();
        result.errors.push_back(stored.error());
        return result;
    }
    result.kind = SubmissionResult::Kind::Accepted;
    result.messageId = messageId;
    result.prescriptionId = prescription.prescriptionId;
    return result;
}

} // namespace gp::agent
