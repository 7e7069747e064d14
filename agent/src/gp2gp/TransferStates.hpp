#pragma once

#include <string>

namespace gp::agent::gp2gp {

// Names of transfer states and part states as stored and shown by the API (docs/gp2gp.md has
// the diagrams). Kept here so the two roles and the API agree on spelling.

inline constexpr const char* kRoleRequester = "requester";
inline constexpr const char* kRoleSender = "sender";

// Requesting role (the patient's new practice).
inline constexpr const char* kRequested = "requested";
inline constexpr const char* kExtractReceived = "extract-received"; // no external documents
inline constexpr const char* kContinueSent = "continue-sent";
inline constexpr const char* kAwaitingAck = "awaiting-ack"; // gp2gp.autoAck=false
inline constexpr const char* kComplete = "complete";        // imported, final ack queued

// Sending role (the patient's old practice).
inline constexpr const char* kExtractSent = "extract-sent";
inline constexpr const char* kDocumentsSent = "documents-sent";
inline constexpr const char* kAwaitingFinalAck = "awaiting-final-ack";

// Both roles.
inline constexpr const char* kClosed = "closed";
inline constexpr const char* kFailed = "failed";

// Parts.
inline constexpr const char* kPartInline = "inline";
inline constexpr const char* kPartExternal = "external";
inline constexpr const char* kPartFragmentIndex = "fragment-index";
inline constexpr const char* kPartFragment = "fragment";

inline constexpr const char* kPartExpected = "expected"; // requester: announced, not arrived
inline constexpr const char* kPartIndexed = "indexed";   // requester: index arrived, joining later
inline constexpr const char* kPartReceived = "received"; // requester: bytes on disk
inline constexpr const char* kPartPlanned = "planned";   // sender: waits for the Continue
inline constexpr const char* kPartSent = "sent";         // sender: its message is in the outbox

inline bool isFinalState(const std::string& state) {
    return state == kClosed || state == kFailed;
}

} // namespace gp::agent::gp2gp
