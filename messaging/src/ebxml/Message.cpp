#include <gp/messaging/ebxml/Message.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace gp::messaging::ebxml {

namespace {

constexpr std::string_view kEnvelopeContentId = "ebXMLHeader@spine.nhs.uk";
constexpr std::string_view kPayloadDescription = "HL7 payload";

std::string payloadContentId(const std::string& messageId) {
    return messageId + "@spine.nhs.uk";
}

// A header value must stay on one line.
std::string oneLine(std::string_view text) {
    std::string out(text);
    std::replace(out.begin(), out.end(), '\r', ' ');
    std::replace(out.begin(), out.end(), '\n', ' ');
    return out;
}

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

std::string cidOf(std::string_view href) {
    return startsWith(href, "cid:") ? std::string(href.substr(4)) : std::string();
}

} // namespace

std::string soapActionFor(const MessageHeader& header) {
    return header.service + "/" + header.action;
}

namespace {

mime::Multipart multipartOf(const Message& message, MessageHeader& header) {
    header = message.header;
    header.manifest.clear();
    if (!message.payload.empty()) {
        header.manifest.push_back(ManifestReference{"cid:" + payloadContentId(header.messageId),
                                                    std::string(kPayloadDescription), true});
    }
    for (const auto& attachment : message.attachments) {
        header.manifest.push_back(
            ManifestReference{"cid:" + attachment.contentId, attachment.description, false});
    }
    for (const auto& reference : message.header.manifest) {
        if (startsWith(reference.href, "mid:")) {
            header.manifest.push_back(reference);
        }
    }

    mime::Multipart multipart;
    mime::Part envelope;
    envelope.contentId = std::string(kEnvelopeContentId);
    envelope.contentType = "text/xml; charset=UTF-8";
    envelope.transferEncoding = "8bit";
    envelope.body = buildEnvelope(header);
    multipart.parts.push_back(std::move(envelope));
    if (!message.payload.empty()) {
        mime::Part payload;
        payload.contentId = payloadContentId(header.messageId);
        payload.contentType = "text/xml";
        payload.transferEncoding = "8bit";
        payload.body = message.payload;
        multipart.parts.push_back(std::move(payload));
    }
    for (const auto& attachment : message.attachments) {
        mime::Part part;
        part.contentId = attachment.contentId;
        part.contentType = attachment.contentType;
        part.transferEncoding = attachment.base64 ? "base64" : "8bit";
        if (!attachment.description.empty()) {
            part.extraHeaders.emplace_back("Content-Description", oneLine(attachment.description));
        }
        part.body = attachment.body;
        multipart.parts.push_back(std::move(part));
    }
    return multipart;
}

} // namespace

HttpBody buildMessage(const Message& message) {
    MessageHeader header;
    const mime::Multipart multipart = multipartOf(message, header);
    return HttpBody{mime::contentTypeHeader(multipart), mime::serialize(multipart),
                    soapActionFor(header)};
}

SplitHttpBody buildMessageAround(const Message& message) {
    if (message.attachments.empty() || !message.attachments.back().body.empty()) {
        throw std::invalid_argument("buildMessageAround needs a last attachment with no body");
    }
    MessageHeader header;
    const mime::Multipart multipart = multipartOf(message, header);
    std::string body = mime::serialize(multipart);
    // An empty last part serializes as nothing between its blank line and this closing text.
    std::string tail = "\r\n--" + multipart.boundary + "--\r\n";
    if (body.size() < tail.size() ||
        body.compare(body.size() - tail.size(), tail.size(), tail) != 0) {
        throw std::logic_error("serialized message does not end with its closing delimiter");
    }
    body.resize(body.size() - tail.size());
    return SplitHttpBody{mime::contentTypeHeader(multipart), std::move(body), std::move(tail),
                         soapActionFor(header)};
}

Result<Message> parseMessage(std::string_view contentTypeHeaderValue, std::string_view body) {
    auto multipart = mime::parse(contentTypeHeaderValue, body);
    if (!multipart) {
        return multipart.error();
    }
    const auto envelopeIndex = envelopePartIndex(*multipart);
    if (!envelopeIndex) {
        return envelopeIndex.error();
    }
    auto header = parseEnvelope(multipart->parts[*envelopeIndex].body);
    if (!header) {
        return header.error();
    }
    return assembleMessage(std::move(*multipart), *envelopeIndex, std::move(header).value());
}

Result<std::size_t> envelopePartIndex(const mime::Multipart& multipart) {
    if (multipart.parts.empty()) {
        return Error{"multipart", "no body parts"};
    }
    if (multipart.start.empty()) {
        return std::size_t{0};
    }
    const auto& parts = multipart.parts;
    const auto it = std::find_if(parts.begin(), parts.end(), [&](const mime::Part& part) {
        return part.contentId == multipart.start;
    });
    if (it == parts.end()) {
        return Error{"Content-Type start",
                     "no part has the start Content-Id <" + multipart.start + ">"};
    }
    return static_cast<std::size_t>(it - parts.begin());
}

Result<Message> assembleMessage(mime::Multipart multipart, std::size_t envelopeIndex,
                                MessageHeader header) {
    auto& parts = multipart.parts;
    Message message;
    message.header = std::move(header);

    std::optional<std::size_t> payloadIndex;
    for (const auto& reference : message.header.manifest) {
        if (!reference.hl7Payload) {
            continue;
        }
        const std::string cid = cidOf(reference.href);
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i != envelopeIndex && !cid.empty() && parts[i].contentId == cid) {
                payloadIndex = i;
            }
        }
        if (!payloadIndex) {
            return Error{"eb:Manifest",
                         "the HL7 payload " + reference.href + " is not a part of this message"};
        }
        break;
    }
    if (!payloadIndex) {
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i != envelopeIndex) {
                payloadIndex = i;
                break;
            }
        }
    }
    if (payloadIndex) {
        message.payload = std::move(parts[*payloadIndex].body);
    }

    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i == envelopeIndex || (payloadIndex && i == *payloadIndex)) {
            continue;
        }
        auto& part = parts[i];
        Attachment attachment;
        attachment.contentId = part.contentId;
        attachment.contentType = part.contentType;
        attachment.description = part.header("Content-Description");
        if (attachment.description.empty()) {
            for (const auto& reference : message.header.manifest) {
                if (!part.contentId.empty() && cidOf(reference.href) == part.contentId) {
                    attachment.description = reference.description;
                }
            }
        }
        attachment.base64 = part.transferEncoding == "base64";
        attachment.body = std::move(part.body);
        message.attachments.push_back(std::move(attachment));
    }
    return message;
}

} // namespace gp::messaging::ebxml
