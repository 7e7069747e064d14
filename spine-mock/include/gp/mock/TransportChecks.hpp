#pragma once

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/mock/MockExchange.hpp>
#include <gp/mock/SpineReplies.hpp>

#include <optional>
#include <string>
#include <variant>

/// The checks every Spine MSH endpoint makes before its own rules, shared by the EPS and the
/// forward-reliable endpoints so that both refuse the same malformed requests the same way.
namespace gp::mock::transport {

/// Why a request is refused at the transport level: the eb:Error's code and description.
struct Rejection {
    std::string errorCode;
    std::string description;
};

/// "urn:nhs:names:services:mm/PORX_IN020101SM31" without SOAP 1.1 double quotes.
std::string unquote(std::string text);

/// The SOAPAction's last path segment: faults match on it before any parsing.
std::string interactionFromSoapAction(const std::string& soapAction);

/// Reads what it can of the header without judging it, so that a faulted request's journal
/// line still names its MessageId.
ReceivedHeader peekHeader(const MockRequest& request);

/// MIME structure, a well-formed envelope, a valid eb:MessageId and every required ebXML
/// element, in that order. Fills `received` as far as it got, so that a rejection can be
/// addressed back and refer to the MessageId once that was read.
std::variant<messaging::ebxml::Message, Rejection> readMessage(const MockRequest& request,
                                                               ReceivedHeader& received);

/// SOAPAction present and equal to eb:Service/eb:Action.
std::optional<Rejection> checkSoapAction(const MockRequest& request,
                                         const messaging::ebxml::MessageHeader& header);

} // namespace gp::mock::transport
