#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/SpineRules.hpp>
#include <gp/mock/TransportChecks.hpp>

#include <algorithm>
#include <initializer_list>
#include <optional>

namespace gp::mock::transport {

namespace {

namespace ebxml = messaging::ebxml;
namespace mime = messaging::mime;
namespace xml = messaging::xml;

constexpr std::string_view kNhsServicePrefix = "urn:nhs:names:services:";

// The first element at the path below /SOAP:Envelope/SOAP:Header/eb:MessageHeader, in document
// order, as the XPath of that path would select it; `next` indexes into `steps` (all eb:).
std::optional<std::string> firstText(const xml::Element& from,
                                     std::initializer_list<std::string_view> steps,
                                     std::size_t next) {
    if (next == steps.size()) {
        return from.text();
    }
    const std::string_view eb = xml::spineNamespaces().at("eb");
    for (const auto& child : from.children(eb, steps.begin()[next])) {
        if (auto found = firstText(child, steps, next + 1)) {
            return found;
        }
    }
    return std::nullopt;
}

// Walked rather than asked with XPath, which costs more than the walk on every request.
std::optional<std::string> headerText(const xml::Document& document,
                                      std::initializer_list<std::string_view> steps) {
    const std::string& soap = xml::spineNamespaces().at("SOAP");
    if (document.rootName() != "Envelope" || document.rootNamespace() != soap) {
        return std::nullopt;
    }
    for (const auto& header : document.root().children(soap, "Header")) {
        if (auto found = firstText(header, steps, 0)) {
            return found;
        }
    }
    return std::nullopt;
}

void readHeaderFields(const xml::Document& document, ReceivedHeader& received) {
    received.fromPartyId = headerText(document, {"MessageHeader", "From", "PartyId"}).value_or("");
    received.toPartyId = headerText(document, {"MessageHeader", "To", "PartyId"}).value_or("");
    received.cpaId = headerText(document, {"MessageHeader", "CPAId"}).value_or("");
    received.conversationId =
        headerText(document, {"MessageHeader", "ConversationId"}).value_or("");
}

std::optional<std::string> messageIdOf(const xml::Document& document) {
    return headerText(document, {"MessageHeader", "MessageData", "MessageId"});
}

} // namespace

std::string unquote(std::string text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
        return text.substr(1, text.size() - 2);
    }
    return text;
}

std::string interactionFromSoapAction(const std::string& soapAction) {
    const std::string action = unquote(soapAction);
    const auto slash = action.rfind('/');
    return slash == std::string::npos ? std::string() : action.substr(slash + 1);
}

ReceivedHeader peekHeader(const MockRequest& request) {
    ReceivedHeader received;
    received.interaction = interactionFromSoapAction(request.header("SOAPAction"));
    auto multipart = mime::parse(request.header("Content-Type"), request.body);
    if (!multipart || multipart->parts.empty()) {
        return received;
    }
    if (auto document = xml::parse(multipart->parts.front().body)) {
        const auto id = messageIdOf(*document);
        if (id && rules::isUpperCaseUuid(*id)) {
            received.messageId = *id;
        }
        readHeaderFields(*document, received);
    }
    return received;
}

std::variant<ebxml::Message, Rejection> readMessage(const MockRequest& request,
                                                    ReceivedHeader& received) {
    received.interaction = interactionFromSoapAction(request.header("SOAPAction"));
    const std::string contentType = request.header("Content-Type");

    // The body is split and the envelope parsed once; the shared readers below take them as they
    // are rather than parsing the request again.
    auto multipart = mime::parse(contentType, request.body);
    if (!multipart || multipart->parts.empty()) {
        const std::string why = multipart ? "no body parts" : multipart.error().describe();
        return Rejection{"MimeProblem", "500:Unparseable MIME multipart body (" + why + ")"};
    }
    const auto& parts = multipart->parts;
    const auto start = std::find_if(parts.begin(), parts.end(), [&](const mime::Part& part) {
        return part.contentId == multipart->start;
    });
    const std::size_t ownIndex =
        start != parts.end() ? static_cast<std::size_t>(start - parts.begin()) : 0;
    auto document = xml::parse(parts[ownIndex].body);
    if (!document) {
        return Rejection{"OtherXml", "500:SOAP envelope is not well-formed XML"};
    }
    // Read with our own walk first, so that what we answer does not depend on how lenient the
    // shared envelope parser is about the MessageId.
    readHeaderFields(*document, received);
    if (auto action = headerText(*document, {"MessageHeader", "Action"})) {
        received.interaction = *action;
    }
    const auto messageId = messageIdOf(*document);
    if (!messageId || !rules::isUpperCaseUuid(*messageId)) {
        return Rejection{"ValueNotRecognized", "500:Missing or malformed eb:MessageId"};
    }
    received.messageId = *messageId;

    const auto envelopeIndex = ebxml::envelopePartIndex(*multipart);
    if (!envelopeIndex) {
        return Rejection{"Inconsistent", "500:" + envelopeIndex.error().describe()};
    }
    // The parts differ only without a start parameter: ours is then the first part with no
    // Content-Id, the shared reader's the first part.
    auto header = *envelopeIndex == ownIndex ? ebxml::readEnvelope(*document)
                                             : ebxml::parseEnvelope(parts[*envelopeIndex].body);
    if (!header) {
        return Rejection{"Inconsistent", "500:" + header.error().describe()};
    }
    auto message =
        ebxml::assembleMessage(std::move(*multipart), *envelopeIndex, std::move(header).value());
    if (!message) {
        return Rejection{"Inconsistent", "500:" + message.error().describe()};
    }
    return std::move(*message);
}

std::optional<Rejection> checkSoapAction(const MockRequest& request,
                                         const ebxml::MessageHeader& header) {
    const std::string soapAction = unquote(request.header("SOAPAction"));
    if (soapAction.empty()) {
        return Rejection{"Inconsistent", "500:SOAPAction header is missing"};
    }
    if (header.service.rfind(kNhsServicePrefix, 0) != 0 ||
        soapAction != header.service + "/" + header.action) {
        return Rejection{"Inconsistent", "500:SOAPAction does not match eb:Service and eb:Action"};
    }
    return std::nullopt;
}

} // namespace gp::mock::transport
