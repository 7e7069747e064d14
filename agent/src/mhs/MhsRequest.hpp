#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace gp::agent::mhs {

/// An interaction the MHS front accepts: what the NHS MHS adaptor's caller names in the
/// Interaction-Id header, and how gp-agent sends it. Every one is asynchronous reliable: the
/// message goes through the outbox (retries, persist duration, duplicate elimination).
struct MhsInteraction {
    std::string_view interactionId; // the ebXML action, e.g. PORX_IN020101SM31
    std::string_view description;
};

/// The one table of supported interactions; null when `interactionId` is not in it.
const MhsInteraction* findMhsInteraction(std::string_view interactionId);

/// The request headers the adaptor's API defines; absent headers are nullopt.
struct MhsHeaders {
    std::optional<std::string> interactionId;   // Interaction-Id (required)
    std::optional<std::string> waitForResponse; // wait-for-response (required: true or false)
    std::optional<std::string> messageId;       // Message-Id
    std::optional<std::string> correlationId;   // Correlation-Id
    std::optional<std::string> fromAsid;        // from-asid (read, not used: see mhs-compat.md)
    std::optional<std::string> odsCode;         // ods-code (read, not used: see mhs-compat.md)
};

/// A request that passed every check: ready to be wrapped in ebXML and queued.
struct MhsRequest {
    const MhsInteraction* interaction = nullptr;
    std::string messageId;     // upper-case UUID: the caller's, or a new one
    std::string correlationId; // upper-case UUID: the caller's, or a new one (ConversationId)
    std::string payload;       // the HL7 XML, well-formed, root element named by the interaction
};

/// Why a request is refused: the HTTP status the adaptor would answer and a message naming the
/// header or body field at fault.
struct MhsRejection {
    int status = 400;
    std::string message;
};

/// The largest HL7 payload the front parses.
inline constexpr std::size_t kMaxMhsPayloadBytes = 5 * 1024 * 1024;

/// Checks the headers and the JSON body of `POST /` (docs/mhs-compat.md) and assigns the ids
/// the caller left out. Reads no state and writes nothing.
std::variant<MhsRequest, MhsRejection> readMhsRequest(const MhsHeaders& headers,
                                                      std::string_view body,
                                                      messaging::ids::RandomSource& random);

} // namespace gp::agent::mhs
