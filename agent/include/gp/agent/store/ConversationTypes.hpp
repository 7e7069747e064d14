#pragma once

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/InboxTypes.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gp::agent {

/// One GP2GP transfer as this practice sees it. `state` and `data` belong to the workflow
/// (agent/src/gp2gp/); the store keeps them and never interprets them.
struct Conversation {
    std::string conversationId;
    std::string role; // "requester" (the new practice) or "sender" (the old one)
    std::string state;
    std::string nhsNumber; // stored, never logged
    std::string localOds;
    std::string remoteOds;
    std::string requestId;             // EhrRequest id
    std::string requestMessageId;      // the EhrRequest's MessageId
    std::string extractMessageId;      // the EhrExtract's MessageId
    std::optional<TimePoint> deadline; // next timeout to act on
    std::string errorCode;             // two-digit NACK code when failed
    std::string errorText;
    int partsExpected = 0;
    int partsDone = 0; // received (requester) or acknowledged (sender)
    std::int64_t bytesExpected = 0;
    std::int64_t bytesDone = 0;
    TimePoint createdAt;
    TimePoint updatedAt;
    std::string data; // workflow detail as JSON (routing, flags)
};

/// One expected or sent piece of a transfer: an inline or external attachment, a fragment index
/// or one fragment. Keyed by (conversationId, partId); partId is the content id or message id.
struct ConversationPart {
    std::string conversationId;
    std::string partId;
    std::string kind;         // "inline", "external", "fragment-index", "fragment", "skeleton"
    std::string parentPartId; // fragments: their index's part id
    int sequence = 0;         // fragment order
    std::string filename;
    std::string contentType;
    std::int64_t expectedBytes = -1; // -1 unknown
    std::string state;               // workflow-defined, e.g. "expected", "received", "sent"
    std::filesystem::path file;      // where the bytes are, once received or prepared
    std::string description;         // attachment description as on the wire
};

} // namespace gp::agent
