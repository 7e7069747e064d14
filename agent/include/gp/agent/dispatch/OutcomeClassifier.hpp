#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <optional>
#include <string>

namespace gp::agent {

/// The one place that decides what an attempt's result means.
struct Outcome {
    /// Deferred: accepted, the answer is to be fetched later from `location` (Spine's 202 with a
    /// Content-Location and no body).
    enum class Kind { Acknowledged, Retriable, Permanent, Deferred };
    Kind kind = Kind::Retriable;
    MessageError error;                     // empty for Acknowledged
    std::optional<Milliseconds> retryAfter; // from a Retry-After header
    bool transportError = false;            // no usable HTTP reply (connect, timeout, reset, 5xx)
    std::string detail;                     // for the audit row: "HTTP 200; AA", "HTTP 503"
    std::string location; // Deferred: the Content-Location as sent (may be relative)
};

/// Connection failures, timeouts, HTTP 429/502/503/504 and SOAP faults whose codes are all
/// 200/206/208 are retriable. An ebXML MessageError, any other SOAP fault, an HL7 AE/AR and any
/// other 4xx are permanent. 200/202 with an ebXML Acknowledgment and no negative HL7 ack is
/// acknowledged; 202 with an empty body and a Content-Location is deferred (poll there); 202 with
/// an empty body and none is acknowledged (async reliable accepted).
Outcome classify(const TransportResult& result);

} // namespace gp::agent
