#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <algorithm>
#include <array>

namespace gp::messaging::spine {

namespace {

constexpr std::string_view kMcciRoot = "MCCI_IN010000UK13";
constexpr std::array<std::string_view, 3> kRetriableFaultCodes{"200", "206", "208"};

std::string trimmed(std::string_view text) {
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && isSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isSpace(text.back())) {
        text.remove_suffix(1);
    }
    return std::string(text);
}

// What a reply body holds once the MIME layer is peeled off: an optional SOAP envelope and an
// optional MCCI application acknowledgement, each parsed once.
struct ReplyDocuments {
    std::optional<xml::Document> envelope;
    std::optional<xml::Document> mcci;
    bool mcciInEnvelope = false; // the MCCI sits inside the SOAP body of `envelope`

    const xml::Document* applicationAck() const {
        if (mcci) {
            return &*mcci;
        }
        return mcciInEnvelope && envelope ? &*envelope : nullptr;
    }
};

bool isSoapEnvelope(const xml::Document& doc) {
    return doc.rootName() == "Envelope" && doc.rootNamespace() == xml::spineNamespaces().at("SOAP");
}

Result<ReplyDocuments> fromBareXml(std::string_view body) {
    auto doc = xml::parse(body);
    if (!doc) {
        return Error{"body", "not a Spine reply: not XML (" + doc.error().describe() + ")"};
    }
    ReplyDocuments documents;
    if (doc->rootName() == kMcciRoot) {
        documents.mcci = std::move(doc).value();
    } else if (isSoapEnvelope(*doc)) {
        // Some synchronous replies carry the MCCI inside the SOAP body itself.
        documents.mcciInEnvelope =
            doc->count("/SOAP:Envelope/SOAP:Body//*[local-name()='MCCI_IN010000UK13']") > 0;
        documents.envelope = std::move(doc).value();
    } else {
        return Error{"body", "not a Spine reply: root element is " + doc->rootName()};
    }
    return documents;
}

Result<ReplyDocuments> fromMultipart(std::string_view contentType, std::string_view body) {
    auto multipart = mime::parse(contentType, body);
    if (!multipart) {
        return multipart.error();
    }
    const auto& parts = multipart->parts;
    std::size_t envelopeIndex = 0;
    if (!multipart->start.empty()) {
        const auto it = std::find_if(parts.begin(), parts.end(), [&](const mime::Part& part) {
            return part.contentId == multipart->start;
        });
        if (it != parts.end()) {
            envelopeIndex = static_cast<std::size_t>(it - parts.begin());
        }
    }
    auto envelope = xml::parse(parts[envelopeIndex].body);
    if (!envelope) {
        return Error{"ebXML envelope " + envelope.error().where, envelope.error().message};
    }
    if (!isSoapEnvelope(*envelope)) {
        return Error{"body", "not a Spine reply: the start part is not a SOAP envelope"};
    }
    ReplyDocuments documents;
    documents.envelope = std::move(envelope).value();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i == envelopeIndex) {
            continue;
        }
        // Attachments need not be XML; a part that does not parse is simply not the ack.
        auto doc = xml::parse(parts[i].body);
        if (doc && doc->rootName() == kMcciRoot) {
            documents.mcci = std::move(doc).value();
            break;
        }
    }
    return documents;
}

std::vector<ReplyError> faultErrors(const xml::Document& doc) {
    std::vector<ReplyError> errors;
    const std::string path = "/SOAP:Envelope/SOAP:Body/SOAP:Fault//nasp:errorList/nasp:error";
    const std::size_t count = doc.count(path);
    for (std::size_t i = 1; i <= count; ++i) {
        const std::string at = "(" + path + ")[" + std::to_string(i) + "]";
        errors.push_back(ReplyError{trimmed(doc.text(at + "/nasp:errorCode").value_or("")),
                                    trimmed(doc.text(at + "/nasp:description").value_or("")),
                                    trimmed(doc.text(at + "/nasp:codeContext").value_or(""))});
    }
    if (errors.empty()) {
        // A bare fault still tells the agent something; its faultcode is never a retriable code.
        const std::string fault = "/SOAP:Envelope/SOAP:Body/SOAP:Fault";
        errors.push_back(ReplyError{trimmed(doc.text(fault + "/faultcode").value_or("")),
                                    trimmed(doc.text(fault + "/faultstring").value_or("")), ""});
    }
    return errors;
}

std::vector<ReplyError> errorListErrors(const xml::Document& doc) {
    std::vector<ReplyError> errors;
    const std::string path = "/SOAP:Envelope/SOAP:Header/eb:ErrorList/eb:Error";
    const std::size_t count = doc.count(path);
    for (std::size_t i = 1; i <= count; ++i) {
        const std::string at = "(" + path + ")[" + std::to_string(i) + "]";
        errors.push_back(ReplyError{trimmed(doc.text(at + "/@eb:errorCode").value_or("")),
                                    trimmed(doc.text(at + "/eb:Description").value_or("")),
                                    trimmed(doc.text(at + "/@eb:codeContext").value_or(""))});
    }
    return errors;
}

std::string refToMessageIdOf(const xml::Document& doc) {
    for (const char* path : {"/SOAP:Envelope/SOAP:Header/eb:Acknowledgment/eb:RefToMessageId",
                             "/SOAP:Envelope/SOAP:Header/eb:MessageHeader/eb:MessageData/"
                             "eb:RefToMessageId",
                             "/SOAP:Envelope/SOAP:Header/eb:ErrorList/eb:RefToMessageId"}) {
        std::string value = trimmed(doc.text(path).value_or(""));
        if (!value.empty()) {
            return value;
        }
    }
    return {};
}

bool isMultipart(std::string_view contentType) {
    auto parsed = mime::parseContentType(contentType);
    return parsed && parsed->mediaType.rfind("multipart/", 0) == 0;
}

} // namespace

std::string_view toString(ReplyKind kind) {
    switch (kind) {
    case ReplyKind::Acknowledgment:
        return "Acknowledgment";
    case ReplyKind::MessageError:
        return "MessageError";
    case ReplyKind::SoapFault:
        return "SoapFault";
    case ReplyKind::ApplicationAck:
        return "ApplicationAck";
    }
    return "Unknown";
}

bool SpineReply::retriableFault() const {
    if (kind != ReplyKind::SoapFault || errors.empty()) {
        return false;
    }
    return std::all_of(errors.begin(), errors.end(), [](const ReplyError& error) {
        return std::find(kRetriableFaultCodes.begin(), kRetriableFaultCodes.end(), error.code) !=
               kRetriableFaultCodes.end();
    });
}

Result<SpineReply> parseSpineReply(std::string_view contentTypeHeaderValue, std::string_view body) {
    if (trimmed(body).empty()) {
        return Error{"body", "not a Spine reply: the body is empty"};
    }
    auto documents = isMultipart(contentTypeHeaderValue)
                         ? fromMultipart(contentTypeHeaderValue, body)
                         : fromBareXml(body);
    if (!documents) {
        return documents.error();
    }

    SpineReply reply;
    const xml::Document* envelope = documents->envelope ? &*documents->envelope : nullptr;
    if (envelope != nullptr) {
        reply.transportAcknowledged =
            envelope->count("/SOAP:Envelope/SOAP:Header/eb:Acknowledgment") > 0;
        reply.refToMessageId = refToMessageIdOf(*envelope);

        if (envelope->count("/SOAP:Envelope/SOAP:Body/SOAP:Fault") > 0) {
            reply.kind = ReplyKind::SoapFault;
            reply.errors = faultErrors(*envelope);
            return reply;
        }
        if (envelope->count("/SOAP:Envelope/SOAP:Header/eb:ErrorList") > 0) {
            reply.kind = ReplyKind::MessageError;
            reply.errors = errorListErrors(*envelope);
            return reply;
        }
    }
    if (const xml::Document* mcci = documents->applicationAck()) {
        auto ack = hl7::parseApplicationAck(*mcci);
        if (!ack) {
            return Error{std::string(kMcciRoot) + " " + ack.error().where, ack.error().message};
        }
        reply.kind = ReplyKind::ApplicationAck;
        if (reply.refToMessageId.empty()) {
            reply.refToMessageId = ack->messageRef;
        }
        reply.applicationAck = std::move(ack).value();
        return reply;
    }
    if (reply.transportAcknowledged) {
        reply.kind = ReplyKind::Acknowledgment;
        return reply;
    }
    return Error{"body", "not a Spine reply: no SOAP fault, eb:ErrorList, eb:Acknowledgment or " +
                             std::string(kMcciRoot) + " found"};
}

} // namespace gp::messaging::spine
