#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <optional>
#include <string>

namespace gp::agent {

/// The one place that decides what an attempt's result means.
struct Outcome {
    enum class Kind { Acknowledged, Retriable, Permanent };
    Kind kind = Kind::Retriable;
    MessageError error;                     // empty for Acknowledged
    std::optional<Milliseconds> retryAfter; // from a Retry-After header
    bool transportError = false;            // no usable HTTP reply (connect, timeout, reset, 5xx)
    std::string detail;                     // for the audit row: "HTTP 200; AA", "HTTP 503"
};

/// Connection failures, timeouts, HTTP 429/502/503/504 and SOAP faults whose codes are all
/// 200/206/208 are retriable. An ebXML MessageError, any other SOAP fault, an HL7 AE/AR and any
/// other 4xx are permanent. 200/202 with an ebXML Acknowledgment and no negative HL7 ack is
/// acknowledged; 202 with an empty body is acknowledged (async reliable accepted).
Outcome classify(const TransportResult& result);

} // namespace gp::agent
