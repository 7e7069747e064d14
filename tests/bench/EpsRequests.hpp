#pragma once

// The requests the EPS benchmark sends: one small prescription, either as JSON to the local API
// (the agent makes every id) or as an HL7 ParentPrescription to the MHS-compatible front, where
// the caller makes the ids, so each request gets its own Message-Id and prescription ID patched
// into a pre-built request.

#include "LoadGenerator.hpp"

#include <memory>
#include <string>

namespace gp::bench {

/// POST /v1/eps/prescriptions with `token`.
std::unique_ptr<RequestStream> localApiPrescriptions(int port, const std::string& token);

/// POST / on the MHS front (docs/mhs-compat.md), Interaction-Id PORX_IN020101SM31,
/// wait-for-response false, Message-Id and Correlation-Id per request.
std::unique_ptr<RequestStream> mhsFrontPrescriptions(int port);

} // namespace gp::bench
