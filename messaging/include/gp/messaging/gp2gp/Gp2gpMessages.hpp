#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/AttachmentDescription.hpp>
#include <gp/messaging/gp2gp/EhrExtract.hpp>
#include <gp/messaging/gp2gp/EhrRequest.hpp>
#include <gp/messaging/gp2gp/Gp2gp.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::gp2gp {

/// Who a GP2GP message goes between. Every builder below sets the forward-reliable flags
/// (DuplicateElimination, AckRequested nextMSH, no SyncReply), Service urn:nhs:names:services:gp2gp
/// and the interaction as Action.
struct Routing {
    std::string fromPartyId;
    std::string toPartyId;
    std::string cpaId;
    std::string fromAsid;
    std::string toAsid;
    std::string fromOds;
    std::string toOds;
};

/// The common fields of one message: its MessageId, the conversation and the time.
struct Envelope {
    std::string messageId; // upper-case UUID
    std::string conversationId;
    std::chrono::sys_seconds timestamp{};
};

ebxml::Message ehrRequestMessage(const Routing& routing, const Envelope& envelope,
                                 const EhrRequest& request);

/// An extract with its inline attachments (MIME parts of the same message, referenced "cid:")
/// and its external ones (referenced "mid:<message id of the COPC that will carry it>", with
/// their descriptions, LargeAttachment=Yes where they will be fragmented).
struct ExternalDocument {
    std::string messageId; // the COPC message that will carry it (or its fragment index)
    AttachmentDescription description;
};
ebxml::Message ehrExtractMessage(const Routing& routing, const Envelope& envelope,
                                 const EhrExtractSpec& extract,
                                 const std::vector<ebxml::Attachment>& inlineAttachments,
                                 const std::vector<ExternalDocument>& externalDocuments);

/// An extract too large to send as is: a skeleton extract plus the gzipped, base64-encoded
/// original as an attachment marked X-GP2GP-Skeleton: Yes. The part (application/octet-stream,
/// referenced "cid:" from the skeleton) is described, in the manifest and Content-Description
/// alike, as Filename="<cid>_EhrExtract.xml.gz" ContentType=text/xml Compressed=Yes
/// LargeAttachment=No OriginalBase64=No Length=<original bytes> DomainData="X-GP2GP-Skeleton: Yes".
/// The caller checks that the part fits under the threshold.
ebxml::Message compressedExtractMessage(const Routing& routing, const Envelope& envelope,
                                        const EhrExtractSpec& extract,
                                        const std::vector<ExternalDocument>& externalDocuments);

/// COPC "Continue": the requester tells the sender to send the external attachments.
ebxml::Message continueMessage(const Routing& routing, const Envelope& envelope,
                               const std::string& extractMessageId);

/// COPC carrying one whole external attachment (`data` is the file's bytes, sent base64).
ebxml::Message attachmentMessage(const Routing& routing, const Envelope& envelope,
                                 const AttachmentDescription& description, std::string_view data);

/// COPC fragment index of a large attachment: lists the fragment messages ("mid:") in order,
/// each described with Filename="<this message's id>_<n>.messageattachment" and the parent's
/// ContentType, Compressed and OriginalBase64; no attachment part.
ebxml::Message fragmentIndexMessage(const Routing& routing, const Envelope& envelope,
                                    const AttachmentDescription& description,
                                    const std::vector<std::string>& fragmentMessageIds);

/// COPC carrying fragment `index` (0-based) of a large attachment, named
/// "<parentMessageId>_<index>.messageattachment".
ebxml::Message fragmentMessage(const Routing& routing, const Envelope& envelope,
                               const std::string& parentMessageId, int index,
                               std::string_view data);
/// The same message for `length` bytes of data left out (its part has an empty body), to be built
/// with ebxml::buildMessageAround and the data streamed in from its file.
ebxml::Message fragmentMessageShell(const Routing& routing, const Envelope& envelope,
                                    const std::string& parentMessageId, int index,
                                    std::uint64_t length);

/// MCCI_IN010000UK13 ack (AA) or NACK (AE with a two-digit reason, code system kNackCodeSystem).
ebxml::Message ackMessage(const Routing& routing, const Envelope& envelope,
                          const std::string& acknowledgedMessageId, std::optional<NackReason> nack);

/// Byte ranges for splitting `size` bytes into fragments of at most `maxFragment` bytes (the
/// caller allows for base64 growth). Zero bytes give no ranges; a zero maximum throws
/// std::invalid_argument.
struct ByteRange {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};
std::vector<ByteRange> planFragments(std::uint64_t size, std::uint64_t maxFragment);

std::string fragmentFilename(std::string_view parentMessageId, int index);

/// What an inbound GP2GP message is, read from its ebXML message.
struct InboundGp2gp {
    enum class Kind {
        EhrRequest,
        EhrExtract,
        Continue,
        Attachment,    // COPC with one whole attachment
        FragmentIndex, // COPC listing fragments
        Fragment,      // COPC with one fragment
        Ack,           // MCCI AA/AE/AR
    };
    Kind kind = Kind::Ack;
    std::string messageId;
    std::string conversationId;
    std::string fromPartyId;
    std::optional<EhrRequest> request;          // EhrRequest
    std::optional<EhrExtractSummary> extract;   // EhrExtract (skeleton already expanded)
    std::string extractXml;                     // EhrExtract: the full extract document
    bool wasCompressed = false;                 // EhrExtract arrived as a skeleton
    std::vector<ebxml::Attachment> attachments; // EhrExtract inline parts; Attachment/Fragment data
    std::vector<ExternalDocument> externalDocuments;  // EhrExtract: mid: references to expect
    std::optional<AttachmentDescription> description; // Attachment/FragmentIndex
    std::vector<std::string> fragmentMessageIds;      // FragmentIndex, in order
    std::string parentMessageId;                      // Fragment
    int fragmentIndex = -1;                           // Fragment
    std::string acknowledgedMessageId;                // Continue (the extract) and Ack (messageRef)
    std::optional<hl7::ApplicationAck> ack;           // Ack
};

/// Reads any GP2GP message. Errors say what is malformed (the caller NACKs 18 or 21).
/// Extract: a part whose description has DomainData "X-GP2GP-Skeleton: Yes" is gunzipped (at most
/// `maxDecompressed` bytes) into extractXml and left out of `attachments`; a skeleton sent as a
/// mid: reference is only listed in externalDocuments. COPC: a subject starting "Continue" or an
/// embedded acknowledgement is a Continue; no attachment part with mid: references is a fragment
/// index; a part whose file name is "<id>_<n>.messageattachment" is a fragment; any other part is
/// an attachment (a part described only as "Attachment" takes its name from the payload).
Result<InboundGp2gp> readGp2gpMessage(const ebxml::Message& message, std::size_t maxDecompressed);

} // namespace gp::messaging::gp2gp
