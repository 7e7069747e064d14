#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/mime/Multipart.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::ebxml {

/// An attachment carried in the same HTTP body as the payload.
struct Attachment {
    std::string contentId; // without angle brackets
    std::string contentType;
    std::string description; // goes in the manifest and the Content-Description header
    std::string body;        // raw bytes
    bool base64 = false;     // written with Content-Transfer-Encoding base64, else 8bit
};

/// A whole ebXML message: envelope, HL7 payload (part 2, Content-Id <messageId@spine.nhs.uk>)
/// and attachments. The manifest is derived from payload and attachments when built; `external`
/// manifest entries (mid: references) are kept from header.manifest.
struct Message {
    MessageHeader header;
    std::string payload; // HL7 v3 XML; may be empty for Acknowledgment/MessageError
    std::vector<Attachment> attachments;
};

struct HttpBody {
    std::string contentType; // the Content-Type header value
    std::string body;
    std::string soapAction; // urn:nhs:names:services:<service>/<interaction>
};

/// Builds the multipart/related body. The manifest lists the payload first, then each attachment,
/// then any mid: references already in header.manifest.
HttpBody buildMessage(const Message& message);

/// buildMessage's body in two pieces around the content of the last attachment, which must have
/// an empty `body`: the caller writes `head`, then the attachment's bytes (base64-encoded with
/// mime::Base64Encoder when `base64` is set, else as they are), then `tail`. For bodies too large
/// to build in memory; the result is byte for byte what buildMessage would give.
struct SplitHttpBody {
    std::string contentType;
    std::string head;
    std::string tail;
    std::string soapAction;
};
SplitHttpBody buildMessageAround(const Message& message);

/// Parses a multipart ebXML body in either Content-Type form: envelope from the `start` part (or
/// the first part), payload from the part the manifest names as HL7 payload (or the second part),
/// attachments from the rest.
Result<Message> parseMessage(std::string_view contentTypeHeaderValue, std::string_view body);

/// parseMessage in steps, for a caller that splits the body and reads the envelope itself
/// (spine-mock, which makes its own checks on the envelope first): the part the envelope is read
/// from (the `start` part, or the first) ...
Result<std::size_t> envelopePartIndex(const mime::Multipart& multipart);
/// ... and the message, given that part's header.
Result<Message> assembleMessage(mime::Multipart multipart, std::size_t envelopeIndex,
                                MessageHeader header);

/// "urn:nhs:names:services:mm/PORX_IN020101SM31" for header.service "urn:nhs:names:services:mm".
std::string soapActionFor(const MessageHeader& header);

} // namespace gp::messaging::ebxml
