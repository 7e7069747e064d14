#include <gp/agent/dispatch/OutcomeClassifier.hpp>
#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

using gp::agent::classify;
using gp::agent::HttpResponse;
using gp::agent::Milliseconds;
using gp::agent::Outcome;
using gp::agent::TransportResult;

namespace {

TransportResult failed(TransportResult::Failure failure, std::string text) {
    TransportResult result;
    result.failure = failure;
    result.failureText = std::move(text);
    return result;
}

TransportResult replied(int status, std::string body = {},
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
    TransportResult result;
    result.response = HttpResponse{status, std::move(headers), std::move(body)};
    return result;
}

namespace ebxml = gp::messaging::ebxml;
namespace hl7 = gp::messaging::hl7;

const std::string kOurMessageId = "7A1C36C2-8D4B-4E83-A7E8-2C5D9B6F0A01";
const std::chrono::sys_seconds kReplyTime{std::chrono::seconds(1'773'557'470)};

ebxml::AcknowledgmentSpec replyHeader() {
    ebxml::AcknowledgmentSpec spec;
    spec.fromPartyId = "YES-0000806";
    spec.toPartyId = "A91424-9199121";
    spec.cpaId = "S20001A000100";
    spec.conversationId = "3B2E7D44-9A0C-4C1F-8E55-6D7A2B9C0E12";
    spec.messageId = "5D0E1B7A-6C2F-4A39-B8E4-91F0C3D2A6E5";
    spec.refToMessageId = kOurMessageId;
    spec.timestamp = kReplyTime;
    return spec;
}

const std::vector<std::pair<std::string, std::string>> kTextXml = {
    {"Content-Type", "text/xml; charset=UTF-8"}};

TransportResult acknowledgment(int status) {
    return replied(status, ebxml::buildAcknowledgment(replyHeader()), kTextXml);
}

TransportResult messageError(int status) {
    ebxml::MessageErrorSpec spec;
    spec.header = replyHeader();
    spec.errors.push_back(ebxml::ErrorListItem{"ValueNotRecognized", "Error",
                                               "501319:Unknown eb:CPAId",
                                               std::string(ebxml::kErrorCodeContext)});
    return replied(status, ebxml::buildMessageError(spec), kTextXml);
}

TransportResult soapFault(const std::vector<std::pair<std::string, std::string>>& codes,
                          std::vector<std::pair<std::string, std::string>> extraHeaders = {}) {
    ebxml::SoapFaultSpec spec;
    for (const auto& [code, description] : codes) {
        ebxml::ErrorListItem item;
        item.errorCode = code;
        item.description = description;
        item.codeContext = "urn:nhs:names:error:tms";
        spec.errors.push_back(item);
    }
    auto headers = kTextXml;
    headers.insert(headers.end(), extraHeaders.begin(), extraHeaders.end());
    return replied(500, ebxml::buildSoapFault(spec), headers);
}

/// An MCCI application ack inside a multipart ebXML message, as Spine sends it.
TransportResult applicationAck(int status, hl7::AckTypeCode type,
                               std::vector<hl7::AckDetail> details) {
    hl7::ApplicationAckSpec ack;
    ack.messageId = "0F4F2B5C-3E0A-4E8B-9C61-2D1C9E0A7B11";
    ack.creationTime = kReplyTime;
    ack.typeCode = type;
    ack.messageRef = kOurMessageId;
    ack.details = std::move(details);
    ack.fromAsid = "990101234567";
    ack.toAsid = "200000001234";

    ebxml::Message message;
    const ebxml::AcknowledgmentSpec reply = replyHeader();
    message.header.fromPartyId = reply.fromPartyId;
    message.header.toPartyId = reply.toPartyId;
    message.header.cpaId = reply.cpaId;
    message.header.conversationId = reply.conversationId;
    message.header.service = "urn:nhs:names:services:mm";
    message.header.action = "MCCI_IN010000UK13";
    message.header.messageId = reply.messageId;
    message.header.timestamp = kReplyTime;
    message.header.refToMessageId = kOurMessageId;
    message.payload = hl7::buildApplicationAck(ack);
    const ebxml::HttpBody body = ebxml::buildMessage(message);
    return replied(status, body.body, {{"Content-Type", body.contentType}});
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("OutcomeClassifier treats every transport failure as retriable") {
        const std::vector<std::pair<TransportResult::Failure, std::string>> rows = {
            {TransportResult::Failure::ConnectFailed, "transport-connect-failed"},
            {TransportResult::Failure::Timeout, "transport-timeout"},
            {TransportResult::Failure::ConnectionReset, "transport-connection-reset"},
            {TransportResult::Failure::Tls, "transport-tls"},
            {TransportResult::Failure::Other, "transport-other"},
        };
        for (const auto& [failure, code] : rows) {
            CAPTURE(code);
            const Outcome outcome = classify(failed(failure, "curl says why"));
            CHECK(outcome.kind == Outcome::Kind::Retriable);
            CHECK(outcome.transportError);
            CHECK(outcome.error.code == code);
            CHECK(outcome.error.text == "curl says why");
            CHECK_FALSE(outcome.retryAfter);
        }
    }

    TEST_CASE("OutcomeClassifier names a timeout in the audit detail") {
        const Outcome outcome =
            classify(failed(TransportResult::Failure::Timeout, "Operation timed out after 200 ms"));
        CHECK(outcome.detail == "timeout");
        CHECK(outcome.error.text == "Operation timed out after 200 ms");
    }

    TEST_CASE("OutcomeClassifier retries throttling and gateway statuses with Retry-After") {
        for (const int status : {429, 502, 503, 504}) {
            CAPTURE(status);
            const Outcome outcome =
                classify(replied(status, "<html>busy</html>", {{"retry-after", " 7 "}}));
            CHECK(outcome.kind == Outcome::Kind::Retriable);
            CHECK(outcome.transportError);
            CHECK(outcome.error.code == "http-" + std::to_string(status));
            CHECK(outcome.detail == "HTTP " + std::to_string(status));
            REQUIRE(outcome.retryAfter);
            CHECK(*outcome.retryAfter == Milliseconds(7000));
        }
    }

    TEST_CASE("OutcomeClassifier ignores a Retry-After it cannot read") {
        CHECK_FALSE(classify(replied(503, "", {{"Retry-After", "soon"}})).retryAfter);
        CHECK_FALSE(classify(replied(503, "", {{"Retry-After", ""}})).retryAfter);
        CHECK_FALSE(classify(replied(503)).retryAfter);
        // An HTTP-date needs a clock, which the classifier does not have: backoff applies instead.
        CHECK_FALSE(classify(replied(503, "", {{"Retry-After", "Wed, 21 Oct 2026 07:28:00 GMT"}}))
                        .retryAfter);
    }

    TEST_CASE("OutcomeClassifier defers a 202 with a Content-Location and no body") {
        const Outcome outcome =
            classify(replied(202, "", {{"content-location", "/_poll/7A1C36C2-8D4B"}}));
        CHECK(outcome.kind == Outcome::Kind::Deferred);
        CHECK(outcome.location == "/_poll/7A1C36C2-8D4B");
        CHECK(outcome.detail == "HTTP 202; reply deferred");
        CHECK(outcome.error.code.empty());

        // A body means Spine answered now; an empty Content-Location points nowhere.
        CHECK(classify(replied(202, ebxml::buildAcknowledgment(replyHeader()),
                               {{"Content-Type", "text/xml"}, {"Content-Location", "/_poll/x"}}))
                  .kind == Outcome::Kind::Acknowledged);
        CHECK(classify(replied(202, "", {{"Content-Location", ""}})).kind ==
              Outcome::Kind::Acknowledged);
        CHECK(classify(replied(200, "", {{"Content-Location", "/_poll/x"}})).kind ==
              Outcome::Kind::Retriable);
    }

    TEST_CASE("OutcomeClassifier accepts 202 with an empty body") {
        const Outcome outcome = classify(replied(202));
        CHECK(outcome.kind == Outcome::Kind::Acknowledged);
        CHECK(outcome.detail == "HTTP 202");
        CHECK(outcome.error.code.empty());
    }

    TEST_CASE("OutcomeClassifier fails other 4xx permanently") {
        for (const int status : {400, 401, 403, 404, 405, 413, 415}) {
            CAPTURE(status);
            const Outcome outcome = classify(replied(status, "not a spine reply"));
            CHECK(outcome.kind == Outcome::Kind::Permanent);
            CHECK_FALSE(outcome.transportError);
            CHECK(outcome.error.code == "http-" + std::to_string(status));
            CHECK(outcome.detail == "HTTP " + std::to_string(status));
        }
    }

    TEST_CASE("OutcomeClassifier retries a 500 whose body is not a SOAP fault") {
        const Outcome outcome = classify(
            replied(500, "<html>Internal Server Error</html>", {{"Content-Type", "text/html"}}));
        CHECK(outcome.kind == Outcome::Kind::Retriable);
        CHECK(outcome.transportError);
        CHECK(outcome.error.code == "http-500");
        CHECK(outcome.detail == "HTTP 500");

        const Outcome empty = classify(replied(500));
        CHECK(empty.kind == Outcome::Kind::Retriable);
        CHECK(empty.error.code == "http-500");
    }

    TEST_CASE("OutcomeClassifier fails 501 and 505 permanently") {
        CHECK(classify(replied(501)).kind == Outcome::Kind::Permanent);
        CHECK(classify(replied(505)).kind == Outcome::Kind::Permanent);
    }

    TEST_CASE("OutcomeClassifier retries a 2xx whose body it cannot read") {
        const Outcome outcome =
            classify(replied(200, "garbage that is no reply", {{"Content-Type", "text/plain"}}));
        CHECK(outcome.kind == Outcome::Kind::Retriable);
        CHECK_FALSE(outcome.transportError);
        CHECK(outcome.error.code == "unreadable-reply");
        CHECK_FALSE(outcome.error.text.empty());
        CHECK(outcome.detail == "HTTP 200; unreadable reply");

        const Outcome emptyOk = classify(replied(200));
        CHECK(emptyOk.kind == Outcome::Kind::Retriable);
        CHECK(emptyOk.error.code == "unreadable-reply");
        CHECK(emptyOk.error.text == "empty body");
    }

    TEST_CASE("OutcomeClassifier accepts an ebXML Acknowledgment under 200 or 202") {
        for (const int status : {200, 202}) {
            CAPTURE(status);
            const Outcome outcome = classify(acknowledgment(status));
            CHECK(outcome.kind == Outcome::Kind::Acknowledged);
            CHECK(outcome.detail == "HTTP " + std::to_string(status) + "; Acknowledgment");
            CHECK(outcome.error.code.empty());
        }
    }

    TEST_CASE(
        "OutcomeClassifier lets the status decide when an Acknowledgment comes with an error") {
        const Outcome notFound = classify(acknowledgment(404));
        CHECK(notFound.kind == Outcome::Kind::Permanent);
        CHECK(notFound.error.code == "http-404");
        const Outcome serverError = classify(acknowledgment(500));
        CHECK(serverError.kind == Outcome::Kind::Retriable);
        CHECK(serverError.error.code == "http-500");
    }

    TEST_CASE("OutcomeClassifier fails an ebXML MessageError permanently whatever the status") {
        for (const int status : {200, 500}) {
            CAPTURE(status);
            const Outcome outcome = classify(messageError(status));
            CHECK(outcome.kind == Outcome::Kind::Permanent);
            CHECK_FALSE(outcome.transportError);
            CHECK(outcome.error.code == "ValueNotRecognized");
            CHECK(outcome.error.text == "501319:Unknown eb:CPAId");
            CHECK(outcome.detail ==
                  "HTTP " + std::to_string(status) + "; MessageError ValueNotRecognized");
        }
    }

    TEST_CASE("OutcomeClassifier retries a SOAP fault whose codes are all 200, 206 or 208") {
        const Outcome outcome = classify(soapFault(
            {{"200", "System failure to process message"}, {"206", "Routing delivery failure"}},
            {{"Retry-After", "30"}}));
        CHECK(outcome.kind == Outcome::Kind::Retriable);
        CHECK_FALSE(outcome.transportError);
        CHECK(outcome.error.code == "200,206");
        CHECK(outcome.error.text == "System failure to process message; Routing delivery failure");
        CHECK(outcome.detail == "HTTP 500; SOAP fault 200,206");
        REQUIRE(outcome.retryAfter);
        CHECK(*outcome.retryAfter == Milliseconds(30000));

        const Outcome storing = classify(soapFault({{"208", "Failure storing memo"}}));
        CHECK(storing.kind == Outcome::Kind::Retriable);
        CHECK(storing.error.code == "208");
    }

    TEST_CASE("OutcomeClassifier fails a SOAP fault with any other code permanently") {
        const Outcome outcome = classify(soapFault(
            {{"200", "System failure to process message"}, {"300", "Message not well formed"}}));
        CHECK(outcome.kind == Outcome::Kind::Permanent);
        CHECK(outcome.error.code == "200,300");
        CHECK(outcome.error.text == "System failure to process message; Message not well formed");
        CHECK(outcome.detail == "HTTP 500; SOAP fault 200,300");
    }

    TEST_CASE("OutcomeClassifier gives gateway statuses precedence over a fault in the body") {
        TransportResult result = soapFault({{"300", "Message not well formed"}});
        result.response->status = 503;
        const Outcome outcome = classify(result);
        CHECK(outcome.kind == Outcome::Kind::Retriable);
        CHECK(outcome.error.code == "http-503");
    }

    TEST_CASE("OutcomeClassifier acknowledges an HL7 AA") {
        const Outcome outcome = classify(applicationAck(200, hl7::AckTypeCode::AA, {}));
        CHECK(outcome.kind == Outcome::Kind::Acknowledged);
        CHECK(outcome.detail == "HTTP 200; AA");
        CHECK(outcome.error.code.empty());
    }

    TEST_CASE("OutcomeClassifier fails an HL7 AE or AR permanently with its first reason code") {
        const hl7::AckDetail duplicate{"0002", "Duplicate prescription ID exists",
                                       "2.16.840.1.113883.2.1.3.2.4.17.32"};
        const Outcome ae = classify(applicationAck(200, hl7::AckTypeCode::AE, {duplicate}));
        CHECK(ae.kind == Outcome::Kind::Permanent);
        CHECK_FALSE(ae.transportError);
        CHECK(ae.error.code == "0002");
        CHECK(ae.error.text == "Duplicate prescription ID exists");
        CHECK(ae.detail == "HTTP 200; AE 0002");

        const Outcome ar = classify(applicationAck(
            200, hl7::AckTypeCode::AR,
            {{"5000", "Unable to process message", "2.16.840.1.113883.2.1.3.2.4.17.32"}}));
        CHECK(ar.kind == Outcome::Kind::Permanent);
        CHECK(ar.error.code == "5000");
        CHECK(ar.detail == "HTTP 200; AR 5000");

        const Outcome bare = classify(applicationAck(200, hl7::AckTypeCode::AE, {}));
        CHECK(bare.kind == Outcome::Kind::Permanent);
        CHECK(bare.error.code == "AE");
        CHECK(bare.error.text == "application ack AE without a reason code");
    }

} // TEST_SUITE
