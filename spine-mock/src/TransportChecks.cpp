#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/SpineRules.hpp>
#include <gp/mock/TransportChecks.hpp>

#include <algorithm>

namespace gp::mock::transport {

namespace {

namespace ebxml = messaging::ebxml;
namespace mime = messaging::mime;
namespace xml = messaging::xml;

constexpr std::string_view kNhsServicePrefix = "urn:nhs:names:services:";
const std::string kHeaderPath = "/SOAP:Envelope/SOAP:Header/eb:MessageHeader/";

void readHeaderFields(const xml::Document& document, ReceivedHeader& received) {
    received.fromPartyId = document.text(kHeaderPath + "eb:From/eb:PartyId").value_or("");
    received.toPartyId = document.text(kHeaderPath + "eb:To/eb:PartyId").value_or("");
    received.cpaId = document.text(kHeaderPath + "eb:CPAId").value_or("");
    received.conversationId = document.text(kHeaderPath + "eb:ConversationId").value_or("");
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
        const auto id = document->text(kHeaderPath + "eb:MessageData/eb:MessageId");
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

    auto multipart = mime::parse(contentType, request.body);
    if (!multipart || multipart->parts.empty()) {
        const std::string why = multipart ? "no body parts" : multipart.error().describe();
        return Rejection{"MimeProblem", "500:Unparseable MIME multipart body (" + why + ")"};
    }
    const auto& parts = multipart->parts;
    const auto start = std::find_if(parts.begin(), parts.end(), [&](const mime::Part& part) {
        return part.contentId == multipart->start;
    });
    const mime::Part& envelopePart = start != parts.end() ? *start : parts.front();
    auto document = xml::parse(envelopePart.body);
    if (!document) {
        return Rejection{"OtherXml", "500:SOAP envelope is not well-formed XML"};
    }
    // Read with our own XPath first, so that what we answer does not depend on how lenient the
    // shared envelope parser is about the MessageId.
    readHeaderFields(*document, received);
    if (auto action = document->text(kHeaderPath + "eb:Action")) {
        received.interaction = *action;
    }
    const auto messageId = document->text(kHeaderPath + "eb:MessageData/eb:MessageId");
    if (!messageId || !rules::isUpperCaseUuid(*messageId)) {
        return Rejection{"ValueNotRecognized", "500:Missing or malformed eb:MessageId"};
    }
    received.messageId = *messageId;

    auto message = ebxml::parseMessage(contentType, request.body);
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
