#include "Golden.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/hl7/ApplicationAck.hpp>
#include <gp/messaging/mime/Multipart.hpp>
#include <gp/messaging/spine/SpineReply.hpp>

#include <doctest/doctest.h>

#include <string>

namespace ebxml = gp::messaging::ebxml;
namespace hl7 = gp::messaging::hl7;
namespace mime = gp::messaging::mime;
namespace spine = gp::messaging::spine;

using gp::test::readGolden;

namespace {

// Compared as text: doctest would pick up our toString overloads, which return string_view.
std::string name(spine::ReplyKind kind) {
    return std::string(spine::toString(kind));
}
std::string name(hl7::AckTypeCode code) {
    return std::string(hl7::toString(code));
}

constexpr std::chrono::sys_seconds kTime{std::chrono::seconds{1'773'557'468}};
const std::string kOurMessageId = "3C2F7E1A-6B0D-4C59-9E2B-7D1E5C8A4F10";
const std::string kSpineContentType =
    "multipart/related; boundary=\"--=_MIME-Boundary\"; charset=\"UTF-8\"; type=\"text/xml\"; "
    "start=\"<ebXMLHeader@spine.nhs.uk>\"";

ebxml::AcknowledgmentSpec ackSpec() {
    ebxml::AcknowledgmentSpec spec;
    spec.fromPartyId = "YES-0000806";
    spec.toPartyId = "A91424-9199121";
    spec.cpaId = "S20001A000100";
    spec.conversationId = kOurMessageId;
    spec.messageId = "5E1B0C9D-8A7F-4E6D-9C5B-4A3F2E1D0C9B";
    spec.refToMessageId = kOurMessageId;
    spec.timestamp = kTime;
    return spec;
}

std::string soapFault(std::initializer_list<const char*> codes) {
    ebxml::SoapFaultSpec spec;
    for (const char* code : codes) {
        spec.errors.push_back({code, "Error", std::string("failure ") + code});
    }
    return ebxml::buildSoapFault(spec);
}

// The envelope Spine sends with an MCCI payload: its own message header, and optionally the
// ebXML Acknowledgment of our message in the same header.
std::string mcciEnvelope(bool withAcknowledgment) {
    std::string envelope =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
        "    "
        "xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd\"\n"
        "    xmlns:hl7ebxml=\"urn:hl7-org:transport/ebXML/DSTUv1.0\"\n"
        "    xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"
        "<soap:Header>\n"
        "<eb:MessageHeader eb:version=\"2.0\" soap:mustUnderstand=\"1\">\n"
        "<eb:From><eb:PartyId "
        "eb:type=\"urn:nhs:names:partyType:ocs+serviceInstance\">YES-0000806</eb:PartyId></"
        "eb:From>\n"
        "<eb:To><eb:PartyId "
        "eb:type=\"urn:nhs:names:partyType:ocs+serviceInstance\">A91424-9199121</eb:PartyId></"
        "eb:To>\n"
        "<eb:CPAId>S20001A000100</eb:CPAId>\n"
        "<eb:ConversationId>" +
        kOurMessageId +
        "</eb:ConversationId>\n"
        "<eb:Service>urn:nhs:names:services:mm</eb:Service>\n"
        "<eb:Action>MCCI_IN010000UK13</eb:Action>\n"
        "<eb:MessageData><eb:MessageId>7D9A2C41-0E3B-4F86-B5A2-C1D0E9F8A7B6</eb:MessageId>"
        "<eb:Timestamp>2026-03-15T06:51:10Z</eb:Timestamp></eb:MessageData>\n"
        "</eb:MessageHeader>\n";
    if (withAcknowledgment) {
        envelope += "<eb:Acknowledgment eb:version=\"2.0\" soap:mustUnderstand=\"1\" "
                    "soap:actor=\"urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH\">\n"
                    "<eb:Timestamp>2026-03-15T06:51:10Z</eb:Timestamp>\n"
                    "<eb:RefToMessageId>" +
                    kOurMessageId +
                    "</eb:RefToMessageId>\n"
                    "</eb:Acknowledgment>\n";
    }
    envelope +=
        "</soap:Header>\n<soap:Body>\n<eb:Manifest eb:version=\"2.0\">\n"
        "<eb:Reference xlink:href=\"cid:7D9A2C41-0E3B-4F86-B5A2-C1D0E9F8A7B6@spine.nhs.uk\">\n"
        "<eb:Description xml:lang=\"en\">The HL7 payload</eb:Description>\n"
        "<hl7ebxml:Payload style=\"HL7\" encoding=\"XML\" version=\"3.0\"/>\n"
        "</eb:Reference>\n</eb:Manifest>\n</soap:Body>\n</soap:Envelope>\n";
    return envelope;
}

// Spine's own multipart form: LF line ends, quoted Content-Type parameters.
std::string spineMultipart(const std::string& envelope, const std::string& payload) {
    return "----=_MIME-Boundary\n"
           "Content-Id: <ebXMLHeader@spine.nhs.uk>\n"
           "Content-Type: text/xml\n"
           "Content-Transfer-Encoding: 8bit\n\n" +
           envelope +
           "\n----=_MIME-Boundary\n"
           "Content-Id: <7D9A2C41-0E3B-4F86-B5A2-C1D0E9F8A7B6@spine.nhs.uk>\n"
           "Content-Type: application/xml\n"
           "Content-Transfer-Encoding: 8bit\n\n" +
           payload + "\n----=_MIME-Boundary--\n";
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("spine reply kinds have names") {
        CHECK(spine::toString(spine::ReplyKind::Acknowledgment) == "Acknowledgment");
        CHECK(spine::toString(spine::ReplyKind::MessageError) == "MessageError");
        CHECK(spine::toString(spine::ReplyKind::SoapFault) == "SoapFault");
        CHECK(spine::toString(spine::ReplyKind::ApplicationAck) == "ApplicationAck");
    }

    TEST_CASE("spine reply an ebXML Acknowledgment alone") {
        const std::string body = ebxml::buildAcknowledgment(ackSpec());
        SUBCASE("bare text/xml") {
            auto reply = spine::parseSpineReply("text/xml; charset=UTF-8", body);
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "Acknowledgment");
            CHECK(reply->transportAcknowledged);
            CHECK(reply->refToMessageId == kOurMessageId);
            CHECK(reply->errors.empty());
            CHECK_FALSE(reply->applicationAck.has_value());
            CHECK_FALSE(reply->retriableFault());
        }
        SUBCASE("empty content type") {
            auto reply = spine::parseSpineReply("", body);
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "Acknowledgment");
        }
        SUBCASE("multipart with only the envelope") {
            mime::Multipart multipart;
            mime::Part part;
            part.contentId = "ebXMLHeader@spine.nhs.uk";
            part.contentType = "text/xml";
            part.body = body;
            multipart.parts.push_back(part);
            auto reply = spine::parseSpineReply(mime::contentTypeHeader(multipart),
                                                mime::serialize(multipart));
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "Acknowledgment");
            CHECK(reply->refToMessageId == kOurMessageId);
        }
    }

    TEST_CASE("spine reply an ebXML MessageError is read with its errors") {
        ebxml::MessageErrorSpec spec;
        spec.header = ackSpec();
        spec.errors.push_back({"ValueNotRecognized", "Error", "501319:Unknown eb:CPAId"});
        auto reply = spine::parseSpineReply("application/xml", ebxml::buildMessageError(spec));
        REQUIRE(reply.ok());
        CHECK(name(reply->kind) == "MessageError");
        CHECK_FALSE(reply->transportAcknowledged);
        CHECK(reply->refToMessageId == kOurMessageId);
        REQUIRE(reply->errors.size() == 1);
        CHECK(reply->errors[0].code == "ValueNotRecognized");
        CHECK(reply->errors[0].description == "501319:Unknown eb:CPAId");
        CHECK(reply->errors[0].codeContext == "urn:oasis:names:tc:ebxml-msg:service:errors");
        CHECK_FALSE(reply->retriableFault());
    }

    TEST_CASE("spine reply SOAP faults with only codes 200 206 208 are retriable") {
        for (const char* code : {"200", "206", "208"}) {
            CAPTURE(code);
            auto reply = spine::parseSpineReply("text/xml", soapFault({code}));
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "SoapFault");
            REQUIRE(reply->errors.size() == 1);
            CHECK(reply->errors[0].code == code);
            CHECK(reply->errors[0].codeContext == "urn:nhs:names:error:tms");
            CHECK(reply->errors[0].description == std::string("failure ") + code);
            CHECK(reply->retriableFault());
        }
        auto all = spine::parseSpineReply("text/xml", soapFault({"200", "206", "208"}));
        REQUIRE(all.ok());
        CHECK(all->retriableFault());
    }

    TEST_CASE("spine reply a SOAP fault with any other code is permanent") {
        auto mixed = spine::parseSpineReply("text/xml", soapFault({"300", "200"}));
        REQUIRE(mixed.ok());
        CHECK(name(mixed->kind) == "SoapFault");
        REQUIRE(mixed->errors.size() == 2);
        CHECK(mixed->errors[0].code == "300");
        CHECK_FALSE(mixed->retriableFault());

        // Without nasp errors there is no code to call retriable.
        const std::string bare =
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">"
            "<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode>"
            "<faultstring>oops</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body>"
            "</SOAP-ENV:Envelope>";
        auto noCodes = spine::parseSpineReply("text/xml", bare);
        REQUIRE(noCodes.ok());
        CHECK(name(noCodes->kind) == "SoapFault");
        REQUIRE(noCodes->errors.size() == 1);
        CHECK(noCodes->errors[0].code == "SOAP-ENV:Server");
        CHECK(noCodes->errors[0].description == "oops");
        CHECK_FALSE(noCodes->retriableFault());

        spine::SpineReply notFault;
        notFault.kind = spine::ReplyKind::MessageError;
        notFault.errors.push_back({"200", "", ""});
        CHECK_FALSE(notFault.retriableFault());
        spine::SpineReply emptyFault;
        emptyFault.kind = spine::ReplyKind::SoapFault;
        CHECK_FALSE(emptyFault.retriableFault());
    }

    TEST_CASE("spine reply multipart with Acknowledgment and an MCCI AA") {
        hl7::ApplicationAckSpec spec;
        spec.messageId = "7D9A2C41-0E3B-4F86-B5A2-C1D0E9F8A7B6";
        spec.creationTime = kTime;
        spec.typeCode = hl7::AckTypeCode::AA;
        spec.messageRef = kOurMessageId;
        spec.fromAsid = "990101234567";
        spec.toAsid = "200000000205";
        const std::string body = spineMultipart(mcciEnvelope(true), hl7::buildApplicationAck(spec));
        auto reply = spine::parseSpineReply(kSpineContentType, body);
        REQUIRE(reply.ok());
        CHECK(name(reply->kind) == "ApplicationAck");
        CHECK(reply->transportAcknowledged);
        CHECK(reply->refToMessageId == kOurMessageId);
        REQUIRE(reply->applicationAck.has_value());
        CHECK(name(reply->applicationAck->typeCode) == "AA");
        CHECK(reply->applicationAck->messageRef == kOurMessageId);
        CHECK(reply->applicationAck->details.empty());
    }

    TEST_CASE("spine reply multipart with an MCCI AE code 0002") {
        const std::string mcci = readGolden("reply_mcci_ae.xml");
        SUBCASE("with the transport acknowledgment") {
            auto reply =
                spine::parseSpineReply(kSpineContentType, spineMultipart(mcciEnvelope(true), mcci));
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "ApplicationAck");
            CHECK(reply->transportAcknowledged);
            REQUIRE(reply->applicationAck.has_value());
            CHECK(name(reply->applicationAck->typeCode) == "AE");
            REQUIRE(reply->applicationAck->details.size() == 1);
            CHECK(reply->applicationAck->details[0].code == "0002");
        }
        SUBCASE("without it the ref comes from the ack's messageRef") {
            const std::string body = spineMultipart(mcciEnvelope(false), mcci);
            // Our own Content-Type form works as well as Spine's.
            auto reply = spine::parseSpineReply(
                "multipart/related; boundary=\"--=_MIME-Boundary\"; type=text/xml; "
                "start=ebXMLHeader@spine.nhs.uk",
                body);
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "ApplicationAck");
            CHECK_FALSE(reply->transportAcknowledged);
            CHECK(reply->refToMessageId == kOurMessageId);
            CHECK(reply->applicationAck->messageId == "7D9A2C41-0E3B-4F86-B5A2-C1D0E9F8A7B6");
        }
        SUBCASE("a bare MCCI document") {
            auto reply = spine::parseSpineReply("text/xml", mcci);
            REQUIRE(reply.ok());
            CHECK(name(reply->kind) == "ApplicationAck");
            CHECK_FALSE(reply->transportAcknowledged);
            CHECK(reply->refToMessageId == kOurMessageId);
            CHECK(reply->applicationAck->details.at(0).code == "0002");
        }
    }

    TEST_CASE("spine reply an MCCI AR inside a bare SOAP body is read from the one parse") {
        // The envelope and the ack are one document here: the reader queries it for both.
        auto reply = spine::parseSpineReply("text/xml; charset=UTF-8",
                                            readGolden("hl7_nack_eps_ar_soap.xml"));
        REQUIRE(reply.ok());
        CHECK(spine::toString(reply->kind) == "ApplicationAck");
        CHECK_FALSE(reply->transportAcknowledged);
        CHECK(reply->refToMessageId == "46183ABC-9FAD-4673-85DB-CE2CB6614732");
        REQUIRE(reply->applicationAck.has_value());
        CHECK(hl7::toString(reply->applicationAck->typeCode) == "AR");
        REQUIRE(reply->applicationAck->details.size() == 2);
        CHECK(reply->applicationAck->details[0].code == "5009");
        CHECK(reply->applicationAck->details[1].code == "0002");
    }

    TEST_CASE("spine reply bodies that are not replies are errors") {
        SUBCASE("garbage") {
            auto reply = spine::parseSpineReply("text/plain", "Service Unavailable");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().where == "body");
            CHECK(reply.error().message.rfind("not a Spine reply: not XML", 0) == 0);
        }
        SUBCASE("empty") {
            auto reply = spine::parseSpineReply("text/xml", "  \r\n");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().where == "body");
            CHECK(reply.error().message == "not a Spine reply: the body is empty");
        }
        SUBCASE("other XML") {
            auto reply = spine::parseSpineReply("text/xml", "<html><body>502</body></html>");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().where == "body");
            CHECK(reply.error().message == "not a Spine reply: root element is html");
        }
        SUBCASE("SOAP envelope with nothing we know") {
            ebxml::MessageHeader header;
            header.fromPartyId = "a";
            header.toPartyId = "b";
            header.cpaId = "c";
            header.conversationId = "d";
            header.service = "e";
            header.action = "f";
            header.messageId = "g";
            auto reply = spine::parseSpineReply("text/xml", ebxml::buildEnvelope(header));
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().where == "body");
            CHECK(reply.error().message ==
                  "not a Spine reply: no SOAP fault, eb:ErrorList, eb:Acknowledgment or "
                  "MCCI_IN010000UK13 found");
        }
        SUBCASE("broken multipart") {
            auto reply = spine::parseSpineReply(kSpineContentType,
                                                "----=_MIME-Boundary\nContent-Id: <x>\n\n<a/>\n");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().message == "missing closing delimiter '----=_MIME-Boundary--'");
        }
        SUBCASE("an MCCI without its acknowledgement") {
            auto reply = spine::parseSpineReply(
                "text/xml",
                "<MCCI_IN010000UK13 xmlns=\"urn:hl7-org:v3\"><id root=\"X\"/></MCCI_IN010000UK13>");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().where.rfind("MCCI_IN010000UK13 ", 0) == 0);
        }
        SUBCASE("a DOCTYPE in a reply") {
            auto reply = spine::parseSpineReply(
                "text/xml", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
            REQUIRE_FALSE(reply.ok());
            CHECK(reply.error().message.find("DOCTYPE") != std::string::npos);
        }
    }

} // TEST_SUITE
