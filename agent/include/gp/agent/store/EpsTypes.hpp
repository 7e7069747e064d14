#pragma once

#include <gp/agent/Clock.hpp>

#include <string>

namespace gp::agent {

/// A prescription this agent sent or was asked to cancel, with what a cancellation needs from it
/// (docs/eps.md). A prescription only ever cancelled from here has no messageId or uuid.
struct EpsPrescription {
    std::string prescriptionId;   // short form
    std::string prescriptionUuid; // long form; empty when not sent from this agent
    std::string messageId;        // the ParentPrescription's MessageId; empty likewise
    std::string nhsNumber;
    /// The prescriber and organisation as JSON ({"prescriber": {...}, "organisation": {...}}),
    /// the defaults of a later cancellation.
    std::string prescriberJson;
    TimePoint createdAt;
};

/// One line item and what Spine last said about it. States: queued, sent, rejected,
/// undelivered, cancel-requested, cancelled, cancel-pending-with-dispenser, dispensed, expired,
/// already-cancelled, not-found, cancel-held, cancel-failed (docs/eps.md).
struct EpsItem {
    std::string prescriptionId;
    std::string lineItemId;
    std::string state;
    std::string code; // Spine's code (AE code, cancellation response code) or ours
    std::string text;
    std::string prescriptionMessageId; // empty when the prescription was not sent from here
    std::string cancelMessageId;       // the latest cancellation's MessageId, if any
    std::string cancelReason;          // its reason code
    TimePoint updatedAt;
};

} // namespace gp::agent
