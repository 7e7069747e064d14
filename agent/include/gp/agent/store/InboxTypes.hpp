#pragma once

#include <gp/agent/Clock.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace gp::agent {

/// A message Spine (or spine-mock) delivered to the inbound endpoint. The body is in a file under
/// the state directory, fsynced before the row that names it is committed.
struct InboundMessage {
    std::string messageId; // ebXML MessageId: duplicates are eliminated by it
    std::string conversationId;
    std::string service;
    std::string interaction;
    std::string fromPartyId;
    std::string refToMessageId;
    std::string contentType; // of the HTTP body
    std::filesystem::path bodyFile;
    std::int64_t bodyBytes = 0;
    TimePoint receivedAt;
    TimePoint keepUntil; // receivedAt + the interaction's persist duration
    /// The acknowledgement returned to the sender; a duplicate gets exactly these bytes again.
    int ackStatus = 202;
    std::string ackContentType;
    std::string ackBody;
};

enum class InboundState { Received, Processed, Failed };

struct InboundRecord {
    InboundMessage message;
    InboundState state = InboundState::Received;
    std::string error; // Failed: why processing gave up
};

/// The result of offering an inbound message to the store.
struct InboundAdmission {
    bool duplicate = false;                // the MessageId was seen within its persist duration
    std::optional<InboundRecord> original; // set when duplicate: answer with its ack again
};

} // namespace gp::agent
