#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::spine {

/// What Spine said about a message we sent, whatever form it took. This is the one reading of
/// Spine's reply bodies; deciding whether to retry is the agent's outcome classifier's job.
enum class ReplyKind {
    Acknowledgment, // ebXML Acknowledgment only
    MessageError,   // ebXML MessageError (eb:ErrorList): permanent
    SoapFault,      // SOAP fault with nasp error codes
    ApplicationAck, // an HL7 MCCI application ack, with or without the ebXML Acknowledgment
};

std::string_view toString(ReplyKind kind);

struct ReplyError {
    std::string code;        // errorCode, e.g. "ValueNotRecognized" or "200"
    std::string description; // e.g. "501319:Unknown eb:CPAId"
    std::string codeContext;
};

struct SpineReply {
    ReplyKind kind = ReplyKind::Acknowledgment;
    std::string refToMessageId;         // from the ebXML header or the app ack's messageRef
    bool transportAcknowledged = false; // an ebXML Acknowledgment was present
    std::vector<ReplyError> errors;     // MessageError and SoapFault items
    std::optional<hl7::ApplicationAck> applicationAck;

    /// A SOAP fault is retriable only when every code in it is 200, 206 or 208.
    bool retriableFault() const;
};

/// Reads a reply body: a multipart/related ebXML message (Acknowledgment, MessageError, with or
/// without an MCCI payload), a bare text/xml SOAP envelope (fault, MessageError, Acknowledgment),
/// or a bare MCCI document. Errors say why the body is not a reply we understand.
Result<SpineReply> parseSpineReply(std::string_view contentTypeHeaderValue, std::string_view body);

} // namespace gp::messaging::spine
