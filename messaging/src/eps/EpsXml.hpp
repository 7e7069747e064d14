#pragma once

// Identifier roots and elements the EPS documents (prescription, cancellation request and
// response) write alike.

#include "../hl7/TransmissionWrapper.hpp"

#include <gp/messaging/eps/ParentPrescription.hpp>

#include <string_view>

namespace gp::messaging::eps::detail {

inline constexpr std::string_view kProfessionalCodeRoot = "1.2.826.0.1285.0.2.1.54";
inline constexpr std::string_view kObservationTypeRoot = "2.16.840.1.113883.2.1.3.2.4.17.30";
inline constexpr std::string_view kMessageTypeRoot = "2.16.840.1.113883.2.1.3.2.4.18.7";
inline constexpr std::string_view kVersionCode = "V3NPfIT3.0";

/// The AgentPerson of an author or responsible party: the prescriber, for their organisation.
void writeAgentPerson(hl7::Hl7Writer& w, const Prescriber& prescriber,
                      const Organisation& organisation);

/// recordTarget naming the patient by NHS number alone.
void writePatientRef(hl7::Hl7Writer& w, std::string_view nhsNumber);

/// pertinentInformation2 carrying the short-form prescription id.
void writePrescriptionIdRef(hl7::Hl7Writer& w, std::string_view prescriptionId);

/// pertinentInformation1 pointing at one line item by its id.
void writeLineItemRef(hl7::Hl7Writer& w, std::string_view lineItemId);

} // namespace gp::messaging::eps::detail
