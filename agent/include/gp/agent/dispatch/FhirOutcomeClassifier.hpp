#pragma once

#include <gp/agent/dispatch/OutcomeClassifier.hpp>

namespace gp::agent {

/// The one place that decides what an e-RS (FHIR REST) attempt's result means; the Spine's ebXML
/// replies go through classify() instead.
///
/// 2xx: acknowledged. 429 and 503: retriable, honouring Retry-After. 502, 504 and transport
/// failures after the connection was made (timeout, reset, TLS, other): retriable when the
/// request is `idempotent`, else permanent with code "outcome-unknown", because e-RS may have acted
/// on it and has no idempotency key. A failed connect sent nothing and is always retriable. 409 and
/// 423: permanent "http-409" / "http-423" (the workflow re-reads and sends a new update). 400,
/// 403, 404 and 422: permanent with the OperationOutcome's code (issue[0].details.coding[0].code,
/// else issue[0].code, else "http-<status>") and its diagnostics or display as text. Other 4xx and
/// anything else below 500: permanent "http-<status>". Other 5xx: retriable.
Outcome classifyFhir(const TransportResult& result, bool idempotent);

} // namespace gp::agent
