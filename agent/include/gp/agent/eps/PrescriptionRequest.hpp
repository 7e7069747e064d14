#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/eps/ParentPrescription.hpp>

#include <string_view>
#include <vector>

namespace gp::agent {

/// The local API's JSON prescription read into the messaging model. Ids the caller may leave
/// out (prescriptionId, item ids) stay empty here; the submission fills them in. Every shape
/// problem (wrong JSON type, unknown treatment type) is reported with its field path; the
/// clinical rules are messaging::eps::validate's.
struct PrescriptionRequest {
    messaging::eps::ParentPrescription prescription;
    std::vector<Error> errors;
};

PrescriptionRequest readPrescriptionRequest(std::string_view json);

} // namespace gp::agent
