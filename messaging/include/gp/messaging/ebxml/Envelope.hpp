#pragma once

#include <gp/Result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::xml {
class Document;
}

namespace gp::messaging::ebxml {

inline constexpr std::string_view kPartyIdType = "urn:nhs:names:partyType:ocs+serviceInstance";
inline constexpr std::string_view kEbxmlService = "urn:oasis:names:tc:ebxml-msg:service";
inline constexpr std::string_view kErrorCodeContext = "urn:oasis:names:tc:ebxml-msg:service:errors";

/// Who must acknowledge: the final recipient's MSH (async reliable, e.g. EPS) or the next MSH on
/// the path (forward reliable, e.g. GP2GP).
enum class AckRequested { None, ToPartyMsh, NextMsh };

/// One eb:Reference in the eb:Manifest. `href` is "cid:<content id>" for a MIME part of this
/// message, or "mid:<message id>" for a part sent later as a message of its own.
struct ManifestReference {
    std::string href;
    std::string description; // plain text; escaped when written
    bool hl7Payload = false; // the HL7 payload: carries hl7ebxml:Payload style/encoding/version
};

/// Every field of the eb:MessageHeader and its siblings that gp-agent and Spine use.
struct MessageHeader {
    std::string fromPartyId;
    std::string toPartyId;
    std::string cpaId;
    std::string conversationId; // upper-case UUID
    std::string service;        // e.g. urn:nhs:names:services:mm
    std::string action;         // the interaction id, e.g. PORX_IN020101SM31
    std::string messageId;      // upper-case UUID
    std::chrono::sys_seconds timestamp{};
    std::string refToMessageId; // replies only
    bool duplicateElimination = false;
    AckRequested ackRequested = AckRequested::None;
    bool syncReply = false;
    std::vector<ManifestReference> manifest;
};

/// The SOAP envelope with eb:MessageHeader, optional eb:DuplicateElimination, eb:AckRequested,
/// eb:SyncReply, and the eb:Manifest in the body. Timestamp as 2026-03-15T06:51:08Z.
std::string buildEnvelope(const MessageHeader& header);

/// Reads an envelope built by us or by Spine. Errors name the missing or malformed element,
/// e.g. "eb:MessageData/eb:MessageId".
Result<MessageHeader> parseEnvelope(std::string_view xml);
/// parseEnvelope for an envelope already parsed, for a caller that also reads it itself.
Result<MessageHeader> readEnvelope(const xml::Document& envelope);

/// The ebXML Acknowledgment a receiving MSH returns (Service kEbxmlService, Action
/// "Acknowledgment", eb:Acknowledgment with eb:RefToMessageId). From/To are swapped relative to
/// the acknowledged message by the caller.
struct AcknowledgmentSpec {
    std::string fromPartyId;
    std::string toPartyId;
    std::string cpaId;
    std::string conversationId;
    std::string messageId; // the acknowledgment's own id
    std::string refToMessageId;
    std::chrono::sys_seconds timestamp{};
};
std::string buildAcknowledgment(const AcknowledgmentSpec& spec);

/// One eb:Error of an eb:ErrorList (Service kEbxmlService, Action "MessageError").
struct ErrorListItem {
    std::string errorCode; // e.g. ValueNotRecognized
    std::string severity = "Error";
    std::string description; // e.g. "501319:Unknown eb:CPAId"
    std::string codeContext = std::string(kErrorCodeContext);
};
struct MessageErrorSpec {
    AcknowledgmentSpec header; // same header fields as an acknowledgment
    std::vector<ErrorListItem> errors;
};
std::string buildMessageError(const MessageErrorSpec& spec);

/// A SOAP fault as Spine sends it: faultcode SOAP:Server, faultstring, and detail with
/// nasp:errorList/nasp:error items (codeContext urn:nhs:names:error:tms, errorCode, severity,
/// description).
struct SoapFaultSpec {
    std::string faultString = "System failure to process message - default";
    std::vector<ErrorListItem> errors; // codeContext defaults to urn:nhs:names:error:tms
};
std::string buildSoapFault(const SoapFaultSpec& spec);

std::string formatTimestamp(std::chrono::sys_seconds time); // 2026-03-15T06:51:08Z

} // namespace gp::messaging::ebxml
