#pragma once

// The HL7 v3 transmission wrapper and ControlActEvent that every Spine interaction opens with,
// written in one place so that EPS, GP2GP and acknowledgements cannot drift apart.

#include "Hl7Writer.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace gp::messaging::hl7 {

inline constexpr std::string_view kInteractionIdRoot = "2.16.840.1.113883.2.1.3.2.4.12";
inline constexpr std::string_view kAsidRoot = "1.2.826.0.1285.0.2.0.107";
inline constexpr std::string_view kSdsUserRoot = "1.2.826.0.1285.0.2.0.65";
inline constexpr std::string_view kSdsRoleProfileRoot = "1.2.826.0.1285.0.2.0.67";

/// The acknowledgement some interactions carry between acceptAckCode and communicationFunctionRcv.
struct WrapperAcknowledgement {
    std::string_view typeCode;
    std::string_view messageRef;
    /// Writes the acknowledgementDetail elements, which come before messageRef; may be empty.
    std::function<void(Hl7Writer&)> details{};
};

/// The person behind a ControlActEvent, by SDS ids: written as its author, before the system.
struct WrapperAuthor {
    std::string_view sdsRoleProfileId;
    std::string_view sdsUserId;
};

struct TransmissionWrapper {
    std::string_view interaction;
    std::string_view messageId;
    std::chrono::sys_seconds creationTime{};
    std::string_view toAsid;
    std::string_view fromAsid;
    std::string_view versionCode;
    bool xsiNamespace = false;
    std::optional<WrapperAcknowledgement> acknowledgement{};
    std::optional<WrapperAuthor> author{};
};

/// Opens the root and writes the wrapper up to and including the ControlActEvent's author1 (the
/// sending system); the caller writes the rest of the ControlActEvent and closes it and the root.
void openTransmissionWrapper(Hl7Writer& w, const TransmissionWrapper& wrapper);

/// XPath to the wrapper fields of the interaction at `root` (an XPath to its root element).
std::string wrapperMessageIdPath(const std::string& root);
std::string wrapperMessageRefPath(const std::string& root);
std::string wrapperSenderAsidPath(const std::string& root);
std::string wrapperReceiverAsidPath(const std::string& root);

} // namespace gp::messaging::hl7
