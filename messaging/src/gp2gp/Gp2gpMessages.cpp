#include "Gp2gpXml.hpp"

#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>
#include <gp/messaging/mime/Multipart.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>

// How the COPC kinds are told apart, on writing and on reading. All four are COPC_IN000001UK01
// with a PayloadInformation whose gp:Gp2gpfragment/gp:subject says what it carries, as in the NHS
// example conversations:
//  - Continue: subject "Continue Acknowledgement" and an embedded acknowledgement (typeCode AA,
//    messageRef = the extract's message id); no attachment part. Read as Continue when the
//    subject starts with "Continue" or the payload holds an acknowledgement.
//  - Fragment index: subject "Attachment: <file name>", no attachment part, and one mid:
//    manifest reference per fragment, in order, each described as
//    Filename="<index message id>_<n>.messageattachment" with the parent's ContentType,
//    Compressed and OriginalBase64 and LargeAttachment=No.
//  - Fragment: one base64 part whose description's Filename (else the payload's reference) is
//    "<parent message id>_<n>.messageattachment", n counting from 0; the parent is the fragment
//    index's message id.
//  - Attachment: one base64 part with any other file name; its Content-Description and manifest
//    description are the attachment description.
// The parent's Length and DomainData travel only in the extract's mid: reference, so a fragment
// index read back carries the file name, ContentType, Compressed and OriginalBase64.

namespace gp::messaging::gp2gp {

namespace {

using hl7::Hl7Writer;

constexpr std::string_view kCopcVersionCode = "V3NPfIT3.0";
constexpr std::string_view kPayloadCodeSystem = "2.16.840.1.113883.2.1.3.2.4.17.202";
constexpr std::string_view kMessageTypeRoot = "2.16.840.1.113883.2.1.3.2.4.18.17";
constexpr std::string_view kContinueSubject = "Continue Acknowledgement";
constexpr std::string_view kAttachmentSubjectPrefix = "Attachment: ";
constexpr std::string_view kFragmentSuffix = ".messageattachment";
constexpr std::string_view kSkeletonDomainData = "X-GP2GP-Skeleton: Yes";
constexpr std::string_view kOctetStream = "application/octet-stream";

ebxml::Message baseMessage(const Routing& routing, const Envelope& envelope,
                           std::string_view action) {
    ebxml::Message m;
    ebxml::MessageHeader& h = m.header;
    h.fromPartyId = routing.fromPartyId;
    h.toPartyId = routing.toPartyId;
    h.cpaId = routing.cpaId;
    h.conversationId = envelope.conversationId;
    h.service = std::string(kService);
    h.action = std::string(action);
    h.messageId = envelope.messageId;
    h.timestamp = envelope.timestamp;
    // Forward reliable: the next MSH acknowledges, nothing comes back on the same connection.
    h.duplicateElimination = true;
    h.ackRequested = ebxml::AckRequested::NextMsh;
    h.syncReply = false;
    return m;
}

void addExternalReferences(ebxml::Message& m, const std::vector<ExternalDocument>& documents) {
    for (const ExternalDocument& d : documents) {
        m.header.manifest.push_back(ebxml::ManifestReference{
            "mid:" + d.messageId, formatAttachmentDescription(d.description), false});
    }
}

// What the COPC's pertinentPayloadBody holds.
struct CopcContent {
    bool isContinue = false;
    std::string_view subject;
    std::string_view filename;       // attachments
    std::string_view acknowledgedId; // Continue
};

void writeContinueBody(Hl7Writer& w, const Routing& routing, const Envelope& envelope,
                       std::string_view extractMessageId) {
    // The Continue is an application acknowledgement (AA, detail code 0 "Continue") of the
    // extract, carried inside the COPC.
    w.open("gp:Gp2gpfragment");
    w.open("Message", {{"type", "Message"}});
    w.empty("id", {{"root", envelope.messageId}});
    w.empty("code", {{"code", "0"}, {"codeSystem", kNackCodeSystem}, {"displayName", "Continue"}});
    w.empty("creationTime", {{"value", hl7::hl7Timestamp(envelope.timestamp)}});
    w.empty("versionCode", {{"code", detail::kVersionCode}});
    w.empty("interactionId",
            {{"root", detail::kInteractionIdRoot}, {"extension", kApplicationAck}});
    w.empty("processingCode", {{"code", "P"}});
    w.empty("processingModeCode", {{"code", "T"}});
    w.empty("acceptAckCode", {{"code", "NE"}});
    w.open("acknowledgement", {{"typeCode", "AA"}});
    w.open("acknowledgementDetail", {{"typeCode", "IF"}});
    w.empty("code", {{"code", "0"}, {"codeSystem", kNackCodeSystem}, {"displayName", "Continue"}});
    w.close(); // acknowledgementDetail
    w.open("messageRef");
    w.empty("id", {{"root", extractMessageId}});
    w.close(); // messageRef
    w.close(); // acknowledgement
    for (const auto& [element, asid] :
         {std::pair<std::string_view, std::string_view>{"communicationFunctionRcv", routing.toAsid},
          {"communicationFunctionSnd", routing.fromAsid}}) {
        w.open(element);
        w.open("device");
        w.empty("id", {{"root", detail::kAsidRoot}, {"extension", asid}});
        w.close();
        w.close();
    }
    w.close(); // Message
    w.open("gp:acknowledgedMessage");
    w.empty("gp:id", {{"root", extractMessageId}});
    w.close();
    w.close(); // gp:Gp2gpfragment
}

std::string buildCopc(const Routing& routing, const Envelope& envelope, const CopcContent& c) {
    Hl7Writer w;
    hl7::openTransmissionWrapper(w, {.interaction = kCommon,
                                     .messageId = envelope.messageId,
                                     .creationTime = envelope.timestamp,
                                     .toAsid = routing.toAsid,
                                     .fromAsid = routing.fromAsid,
                                     .versionCode = kCopcVersionCode});
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("PayloadInformation", {{"classCode", "OBS"},
                                  {"moodCode", "EVN"},
                                  {"xmlns:gp", detail::kGp2gpNamespace},
                                  {"xmlns:npfitlc", "NPFIT:HL7:Localisation"}});
    if (c.isContinue) {
        w.empty("code", {{"code", "GP2GP_PI"},
                         {"codeSystem", kPayloadCodeSystem},
                         {"displayName", "GP2GP Payload Information"}});
    } else {
        w.empty("code", {{"code", "GP2GPLMATTACHMENTINFO"},
                         {"codeSystem", kPayloadCodeSystem},
                         {"displayName", "GP2GP Large Message Attachment Information"}});
    }
    w.empty("id", {{"root", envelope.messageId}});
    w.empty("npfitlc:messageType",
            {{"root", kMessageTypeRoot},
             {"extension", c.isContinue ? "RCMR_MT000002GB01" : "RCMR_MT000001GB01"}});
    w.open("value");
    w.open("gp:Gp2gpfragment");
    w.text("gp:Version", "01");
    w.open("gp:Recipients");
    w.text("gp:Recipient", routing.toOds);
    w.close();
    w.text("gp:From", routing.fromOds);
    w.text("gp:subject", c.subject);
    w.text("gp:message-id", envelope.messageId);
    w.close(); // gp:Gp2gpfragment
    w.close(); // value
    w.open("pertinentInformation", {{"typeCode", "PERT"}});
    w.empty("sequenceNumber", {{"value", "1"}});
    w.open("pertinentPayloadBody", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    if (c.isContinue) {
        w.empty("code", {{"code", "GP2GP_PB"},
                         {"codeSystem", kPayloadCodeSystem},
                         {"displayName", "GP2GP Payload Body"}});
        w.empty("id", {{"root", envelope.messageId}});
        w.open("value");
        writeContinueBody(w, routing, envelope, c.acknowledgedId);
        w.close();
    } else {
        w.empty("code", {{"code", "GP2GPLMATTACHMENT"},
                         {"codeSystem", kPayloadCodeSystem},
                         {"displayName", "GP2GP Large Message Attachment"}});
        w.empty("id", {{"root", detail::derivedUuid(envelope.messageId + "/payload-body")}});
        w.open("value");
        w.empty("reference", {{"value", c.filename}});
        w.close();
    }
    w.close(); // pertinentPayloadBody
    w.close(); // pertinentInformation
    w.close(); // PayloadInformation
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
    return w.finish();
}

std::string attachmentSubject(std::string_view filename) {
    return std::string(kAttachmentSubjectPrefix) + std::string(filename);
}

ebxml::Attachment dataPart(const Envelope& envelope, std::string_view contentType,
                           const AttachmentDescription& description, std::string_view data) {
    ebxml::Attachment a;
    a.contentId = detail::derivedUuid(envelope.messageId + "/attachment");
    a.contentType = std::string(contentType);
    a.description = formatAttachmentDescription(description);
    a.body = std::string(data);
    a.base64 = true;
    return a;
}

std::string trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// "<parent>_<n>.messageattachment" -> parent and n.
std::optional<std::pair<std::string, int>> parseFragmentFilename(std::string_view name) {
    if (name.size() <= kFragmentSuffix.size() ||
        name.substr(name.size() - kFragmentSuffix.size()) != kFragmentSuffix) {
        return std::nullopt;
    }
    const std::string_view stem = name.substr(0, name.size() - kFragmentSuffix.size());
    const auto underscore = stem.rfind('_');
    if (underscore == std::string_view::npos || underscore == 0) {
        return std::nullopt;
    }
    const std::string_view digits = stem.substr(underscore + 1);
    // Nine digits keep the index inside an int.
    if (digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return std::make_pair(std::string(stem.substr(0, underscore)), std::stoi(std::string(digits)));
}

bool isSkeletonMarker(std::string_view domainData) {
    std::string compact;
    for (char c : domainData) {
        if (c != ' ' && c != '\t') {
            compact += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    return compact == "x-gp2gp-skeleton:yes";
}

Result<std::vector<ExternalDocument>> externalDocumentsOf(const ebxml::Message& message) {
    std::vector<ExternalDocument> out;
    for (const ebxml::ManifestReference& reference : message.header.manifest) {
        if (!startsWith(reference.href, "mid:")) {
            continue;
        }
        auto description = parseAttachmentDescription(reference.description);
        if (!description) {
            return Error{"eb:Manifest " + reference.href + " " + description.error().where,
                         description.error().message};
        }
        out.push_back(ExternalDocument{reference.href.substr(4), std::move(description).value()});
    }
    return out;
}

Status readExtract(const ebxml::Message& message, std::size_t maxDecompressed, InboundGp2gp& in) {
    auto summary = parseEhrExtract(message.payload);
    if (!summary) {
        return summary.error();
    }
    in.kind = InboundGp2gp::Kind::EhrExtract;
    for (const ebxml::Attachment& attachment : message.attachments) {
        auto description = parseAttachmentDescription(attachment.description);
        const bool skeleton =
            description && description->domainData && isSkeletonMarker(*description->domainData);
        if (!skeleton || in.wasCompressed) {
            in.attachments.push_back(attachment);
            continue;
        }
        std::string_view compressed = attachment.body;
        std::string decoded;
        // Our parts arrive already decoded by MIME; a sender that put base64 text in an 8bit
        // part is decoded here.
        if (compressed.size() < 2 || static_cast<unsigned char>(compressed[0]) != 0x1F ||
            static_cast<unsigned char>(compressed[1]) != 0x8B) {
            auto text = mime::base64Decode(compressed);
            if (!text) {
                return Error{"skeleton attachment " + attachment.contentId,
                             "is neither gzip nor base64 of gzip"};
            }
            decoded = std::move(text).value();
            compressed = decoded;
        }
        auto original = gzipDecompress(compressed, maxDecompressed);
        if (!original) {
            return Error{"skeleton attachment " + attachment.contentId, original.error().message};
        }
        auto expanded = parseEhrExtract(*original);
        if (!expanded) {
            return Error{"skeleton attachment " + attachment.contentId + " " +
                             expanded.error().where,
                         expanded.error().message};
        }
        summary = std::move(expanded);
        in.extractXml = std::move(original).value();
        in.wasCompressed = true;
    }
    if (!in.wasCompressed) {
        in.extractXml = message.payload;
    }
    in.extract = std::move(summary).value();
    auto external = externalDocumentsOf(message);
    if (!external) {
        return external.error();
    }
    in.externalDocuments = std::move(external).value();
    return success();
}

Status readCopc(const ebxml::Message& message, InboundGp2gp& in) {
    auto parsed = detail::parseDocument(message.payload);
    if (!parsed) {
        return parsed.error();
    }
    const xml::Document& doc = *parsed;
    if (Status root = detail::expectRoot(doc, kCommon); !root) {
        return root.error();
    }
    const auto& ns = detail::gp2gpNamespaces();
    const std::string subject =
        trimmed(doc.text("(//gp:Gp2gpfragment/gp:subject)[1]", ns).value_or(""));

    if (startsWith(subject, "Continue") || doc.count("//hl7:acknowledgement", ns) > 0) {
        in.kind = InboundGp2gp::Kind::Continue;
        const auto type = doc.text("(//hl7:acknowledgement)[1]/@typeCode", ns);
        if (type && *type != "AA") {
            return Error{"Continue acknowledgement/@typeCode", "must be AA, not " + *type};
        }
        std::optional<std::string> ref =
            doc.text("(//hl7:acknowledgement)[1]/hl7:messageRef/hl7:id/@root", ns);
        if (!ref || ref->empty()) {
            ref = doc.text("(//gp:acknowledgedMessage/gp:id)[1]/@root", ns);
        }
        if (!ref || ref->empty()) {
            return Error{"Continue acknowledgement/messageRef/id/@root", "is missing"};
        }
        in.acknowledgedMessageId = std::move(*ref);
        return success();
    }

    std::string payloadFilename =
        trimmed(doc.text("(//hl7:pertinentPayloadBody/hl7:value/hl7:reference)[1]/@value", ns)
                    .value_or(""));
    if (payloadFilename.empty() && startsWith(subject, kAttachmentSubjectPrefix)) {
        payloadFilename = subject.substr(kAttachmentSubjectPrefix.size());
    }

    if (message.attachments.empty()) {
        auto fragments = externalDocumentsOf(message);
        if (!fragments) {
            return fragments.error();
        }
        if (fragments->empty()) {
            return Error{"COPC_IN000001UK01",
                         "is not a Continue and carries neither an attachment nor fragments"};
        }
        if (payloadFilename.empty()) {
            return Error{"COPC_IN000001UK01 pertinentPayloadBody/value/reference/@value",
                         "is missing: the fragment index names no file"};
        }
        in.kind = InboundGp2gp::Kind::FragmentIndex;
        const AttachmentDescription& first = fragments->front().description;
        AttachmentDescription d;
        d.filename = payloadFilename;
        d.contentType = first.contentType;
        d.compressed = first.compressed;
        d.originalBase64 = first.originalBase64;
        d.largeAttachment = true;
        in.description = std::move(d);
        for (ExternalDocument& fragment : *fragments) {
            in.fragmentMessageIds.push_back(std::move(fragment.messageId));
        }
        return success();
    }

    const ebxml::Attachment& part = message.attachments.front();
    auto description = parseAttachmentDescription(part.description);
    if (!description) {
        // Some systems describe the part only as "Attachment"; the payload names the file.
        if (payloadFilename.empty()) {
            return Error{"COPC_IN000001UK01 attachment " + part.contentId + " " +
                             description.error().where,
                         description.error().message};
        }
        AttachmentDescription d;
        d.filename = payloadFilename;
        d.contentType = part.contentType;
        description = std::move(d);
    }
    in.attachments = message.attachments;
    if (auto fragment = parseFragmentFilename(description->filename)) {
        in.kind = InboundGp2gp::Kind::Fragment;
        in.parentMessageId = std::move(fragment->first);
        in.fragmentIndex = fragment->second;
    } else {
        in.kind = InboundGp2gp::Kind::Attachment;
    }
    in.description = std::move(description).value();
    return success();
}

} // namespace

ebxml::Message ehrRequestMessage(const Routing& routing, const Envelope& envelope,
                                 const EhrRequest& request) {
    ebxml::Message m = baseMessage(routing, envelope, kEhrRequest);
    EhrRequest r = request;
    // The HL7 id is the ebXML MessageId, so both layers name the same message.
    r.messageId = envelope.messageId;
    r.creationTime = envelope.timestamp;
    m.payload = buildEhrRequest(r);
    return m;
}

ebxml::Message ehrExtractMessage(const Routing& routing, const Envelope& envelope,
                                 const EhrExtractSpec& extract,
                                 const std::vector<ebxml::Attachment>& inlineAttachments,
                                 const std::vector<ExternalDocument>& externalDocuments) {
    ebxml::Message m = baseMessage(routing, envelope, kEhrExtract);
    EhrExtractSpec spec = extract;
    spec.messageId = envelope.messageId;
    spec.creationTime = envelope.timestamp;
    m.payload = buildEhrExtract(spec);
    m.attachments = inlineAttachments;
    addExternalReferences(m, externalDocuments);
    return m;
}

// The compressed original goes in this message as a base64 part, referenced "cid:" from the
// skeleton's one NarrativeStatement (as the NHS adaptor's skeleton template does). It is marked
// the way EMIS and the NHS adaptor mark it, in the description (manifest and
// Content-Description alike):
//   Filename="<cid>_EhrExtract.xml.gz" ContentType=text/xml Compressed=Yes LargeAttachment=No
//   OriginalBase64=No Length=<bytes of the original extract> DomainData="X-GP2GP-Skeleton: Yes"
// The part itself is application/octet-stream. The caller checks that the part fits under the
// threshold; one that does not must be sent as an external document instead.
ebxml::Message compressedExtractMessage(const Routing& routing, const Envelope& envelope,
                                        const EhrExtractSpec& extract,
                                        const std::vector<ExternalDocument>& externalDocuments) {
    ebxml::Message m = baseMessage(routing, envelope, kEhrExtract);
    EhrExtractSpec spec = extract;
    spec.messageId = envelope.messageId;
    spec.creationTime = envelope.timestamp;
    const std::string original = buildEhrExtract(spec);

    const std::string contentId = detail::derivedUuid(spec.extractId + "/skeleton");
    AttachmentDescription d;
    d.filename = contentId + "_EhrExtract.xml.gz";
    d.contentType = "text/xml";
    d.compressed = true;
    d.largeAttachment = false;
    d.originalBase64 = false;
    d.length = original.size();
    d.domainData = std::string(kSkeletonDomainData);

    m.payload = buildSkeletonExtract(spec, "cid:" + contentId);
    ebxml::Attachment part;
    part.contentId = contentId;
    part.contentType = std::string(kOctetStream);
    part.description = formatAttachmentDescription(d);
    part.body = gzipCompress(original);
    part.base64 = true;
    m.attachments.push_back(std::move(part));
    addExternalReferences(m, externalDocuments);
    return m;
}

ebxml::Message continueMessage(const Routing& routing, const Envelope& envelope,
                               const std::string& extractMessageId) {
    ebxml::Message m = baseMessage(routing, envelope, kCommon);
    m.payload = buildCopc(routing, envelope,
                          {.isContinue = true,
                           .subject = kContinueSubject,
                           .filename = "",
                           .acknowledgedId = extractMessageId});
    return m;
}

ebxml::Message attachmentMessage(const Routing& routing, const Envelope& envelope,
                                 const AttachmentDescription& description, std::string_view data) {
    ebxml::Message m = baseMessage(routing, envelope, kCommon);
    const std::string subject = attachmentSubject(description.filename);
    m.payload = buildCopc(routing, envelope,
                          {.isContinue = false,
                           .subject = subject,
                           .filename = description.filename,
                           .acknowledgedId = ""});
    m.attachments.push_back(dataPart(envelope, description.contentType, description, data));
    return m;
}

ebxml::Message fragmentIndexMessage(const Routing& routing, const Envelope& envelope,
                                    const AttachmentDescription& description,
                                    const std::vector<std::string>& fragmentMessageIds) {
    ebxml::Message m = baseMessage(routing, envelope, kCommon);
    const std::string subject = attachmentSubject(description.filename);
    m.payload = buildCopc(routing, envelope,
                          {.isContinue = false,
                           .subject = subject,
                           .filename = description.filename,
                           .acknowledgedId = ""});
    std::vector<ExternalDocument> fragments;
    for (std::size_t i = 0; i < fragmentMessageIds.size(); ++i) {
        AttachmentDescription d;
        d.filename = fragmentFilename(envelope.messageId, static_cast<int>(i));
        d.contentType = description.contentType;
        d.compressed = description.compressed;
        d.largeAttachment = false;
        d.originalBase64 = description.originalBase64;
        fragments.push_back(ExternalDocument{fragmentMessageIds[i], std::move(d)});
    }
    addExternalReferences(m, fragments);
    return m;
}

ebxml::Message fragmentMessageShell(const Routing& routing, const Envelope& envelope,
                                    const std::string& parentMessageId, int index,
                                    std::uint64_t length) {
    ebxml::Message m = baseMessage(routing, envelope, kCommon);
    AttachmentDescription d;
    d.filename = fragmentFilename(parentMessageId, index);
    d.contentType = std::string(kOctetStream);
    d.length = length;
    const std::string subject = attachmentSubject(d.filename);
    m.payload = buildCopc(
        routing, envelope,
        {.isContinue = false, .subject = subject, .filename = d.filename, .acknowledgedId = ""});
    m.attachments.push_back(dataPart(envelope, kOctetStream, d, {}));
    return m;
}

ebxml::Message fragmentMessage(const Routing& routing, const Envelope& envelope,
                               const std::string& parentMessageId, int index,
                               std::string_view data) {
    ebxml::Message m = fragmentMessageShell(routing, envelope, parentMessageId, index, data.size());
    m.attachments.back().body = std::string(data);
    return m;
}

ebxml::Message ackMessage(const Routing& routing, const Envelope& envelope,
                          const std::string& acknowledgedMessageId,
                          std::optional<NackReason> nack) {
    ebxml::Message m = baseMessage(routing, envelope, kApplicationAck);
    hl7::ApplicationAckSpec spec;
    spec.messageId = envelope.messageId;
    spec.creationTime = envelope.timestamp;
    spec.messageRef = acknowledgedMessageId;
    spec.fromAsid = routing.fromAsid;
    spec.toAsid = routing.toAsid;
    if (nack) {
        spec.typeCode = hl7::AckTypeCode::AE;
        spec.details.push_back(hl7::AckDetail{twoDigitCode(*nack), std::string(describe(*nack)),
                                              std::string(kNackCodeSystem)});
    }
    m.payload = hl7::buildApplicationAck(spec);
    return m;
}

// A zero-byte file is never fragmented (it is below any threshold), so there is nothing to plan:
// the result is empty.
std::vector<ByteRange> planFragments(std::uint64_t size, std::uint64_t maxFragment) {
    if (maxFragment == 0) {
        throw std::invalid_argument("planFragments: maxFragment must be positive");
    }
    std::vector<ByteRange> ranges;
    for (std::uint64_t offset = 0; offset < size; offset += maxFragment) {
        ranges.push_back(ByteRange{offset, std::min(maxFragment, size - offset)});
    }
    return ranges;
}

std::string fragmentFilename(std::string_view parentMessageId, int index) {
    return std::string(parentMessageId) + "_" + std::to_string(index) +
           std::string(kFragmentSuffix);
}

Result<InboundGp2gp> readGp2gpMessage(const ebxml::Message& message, std::size_t maxDecompressed) {
    InboundGp2gp in;
    in.messageId = message.header.messageId;
    in.conversationId = message.header.conversationId;
    in.fromPartyId = message.header.fromPartyId;
    const std::string& action = message.header.action;
    if (message.payload.empty()) {
        return Error{"HL7 payload", "is missing from the " + action + " message"};
    }

    if (action == kEhrRequest) {
        auto request = parseEhrRequest(message.payload);
        if (!request) {
            return request.error();
        }
        in.kind = InboundGp2gp::Kind::EhrRequest;
        in.request = std::move(request).value();
        return in;
    }
    if (action == kEhrExtract || action == kEhrExtractWithRedactions) {
        if (Status s = readExtract(message, maxDecompressed, in); !s) {
            return s.error();
        }
        return in;
    }
    if (action == kCommon) {
        if (Status s = readCopc(message, in); !s) {
            return s.error();
        }
        return in;
    }
    if (action == kApplicationAck) {
        auto ack = hl7::parseApplicationAck(message.payload);
        if (!ack) {
            return ack.error();
        }
        in.kind = InboundGp2gp::Kind::Ack;
        in.acknowledgedMessageId = ack->messageRef;
        in.ack = std::move(ack).value();
        return in;
    }
    return Error{"eb:Action", "is not a GP2GP interaction: '" + action + "'"};
}

} // namespace gp::messaging::gp2gp
