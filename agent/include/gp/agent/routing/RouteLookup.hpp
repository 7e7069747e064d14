#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>

#include <memory>
#include <string>

namespace gp::agent {

class HttpTransport;

/// Where and how to send one interaction to one organisation, as the Spine Directory Service
/// (or spine-mock's imitation of it) publishes it.
struct Route {
    std::string odsCode;
    std::string serviceInteraction; // e.g. urn:nhs:names:services:gp2gp:RCMR_IN010000UK05
    std::string partyKey;           // nhsMHSPartyKey
    std::string asid;
    std::string endpoint;                 // nhsMHSEndPoint: where to POST the message
    std::string cpaId;                    // nhsMhsCPAId
    int retries = 2;                      // nhsMHSRetries
    Milliseconds retryInterval{60000};    // nhsMHSRetryInterval (ISO 8601 in the answer)
    Milliseconds persistDuration{300000}; // nhsMHSPersistDuration
    bool duplicateElimination = true;     // nhsMHSDuplicateElimination "always"
    bool ackRequested = true;             // nhsMHSAckRequested "always"
    std::string syncReplyMode;            // nhsMHSSyncReplyMode, e.g. "None", "MSHSignalsOnly"
    std::string actor; // nhsMHSActor, e.g. urn:oasis:names:tc:ebxml-msg:actor:nextMSH
};

/// Looks routes up. Errors name what failed ("sds", "no route for A83008 ...").
class RouteLookup {
public:
    virtual ~RouteLookup() = default;
    virtual Result<Route> lookup(const std::string& odsCode,
                                 const std::string& serviceInteraction) = 0;
};

/// Asks an SDS-like HTTP service and caches each answer for `timeToLive`:
///   GET <baseUrl>/routing?odsCode=<ods>&interaction=<service>:<interaction>
///   200 {"odsCode", "interaction", "partyKey", "asid", "endpoint", "cpaId", "retries",
///        "retryInterval": "PT1M", "persistDuration": "PT4H10M", "duplicateElimination": "always",
///        "ackRequested": "always", "syncReplyMode": "None", "actor": "urn:...:nextMSH"}
///   404 {"errors": [...]} when the directory has no such route.
/// Thread-safe. Failures are not cached.
std::unique_ptr<RouteLookup> makeSdsRouteLookup(std::string baseUrl, Milliseconds timeToLive,
                                                const Clock& clock,
                                                std::unique_ptr<HttpTransport> transport);

} // namespace gp::agent
