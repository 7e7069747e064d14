#include "Golden.hpp"

#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>

namespace ebxml = gp::messaging::ebxml;
namespace xml = gp::messaging::xml;

using gp::test::checkGolden;

namespace {

// 2026-03-15T06:51:08Z
constexpr std::chrono::sys_seconds kTime{std::chrono::seconds{1'773'557'468}};

ebxml::MessageHeader epsHeader() {
    ebxml::MessageHeader h;
    h.fromPartyId = "A91424-9199121";
    h.toPartyId = "YES-0000806";
    h.cpaId = "S20001A000100";
    h.conversationId = "3C2F7E1A-6B0D-4C59-9E2B-7D1E5C8A4F10";
    h.service = "urn:nhs:names:services:mm";
    h.action = "PORX_IN020101SM31";
    h.messageId = "3C2F7E1A-6B0D-4C59-9E2B-7D1E5C8A4F10";
    h.timestamp = kTime;
    h.duplicateElimination = true;
    h.ackRequested = ebxml::AckRequested::ToPartyMsh;
    h.syncReply = true;
    h.manifest.push_back(
        {"cid:3C2F7E1A-6B0D-4C59-9E2B-7D1E5C8A4F10@spine.nhs.uk", "HL7 payload", true});
    return h;
}

ebxml::MessageHeader gp2gpHeader() {
    ebxml::MessageHeader h;
    h.fromPartyId = "B86041-822103";
    h.toPartyId = "M85019-822104";
    h.cpaId = "S2036482A2160104";
    h.conversationId = "9E6A3F21-5C4B-4D8E-A1F0-2B3C4D5E6F70";
    h.service = "urn:nhs:names:services:gp2gp";
    h.action = "RCMR_IN030000UK06";
    h.messageId = "0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9";
    h.timestamp = kTime;
    h.duplicateElimination = true;
    h.ackRequested = ebxml::AckRequested::NextMsh;
    h.syncReply = false;
    h.manifest.push_back(
        {"cid:0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9@spine.nhs.uk", "RCMR_IN030000UK06", true});
    h.manifest.push_back({"cid:letter-1@gp-agent",
                          "Filename=\"A&E letter.txt\" ContentType=text/plain Compressed=No "
                          "LargeAttachment=No OriginalBase64=No",
                          false});
    h.manifest.push_back({"mid:1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9",
                          "Filename=\"scan <1>.pdf\" ContentType=application/pdf Compressed=No "
                          "LargeAttachment=Yes OriginalBase64=No Length=9000000",
                          false});
    return h;
}

void checkSameHeader(const ebxml::MessageHeader& a, const ebxml::MessageHeader& b) {
    CHECK(a.fromPartyId == b.fromPartyId);
    CHECK(a.toPartyId == b.toPartyId);
    CHECK(a.cpaId == b.cpaId);
    CHECK(a.conversationId == b.conversationId);
    CHECK(a.service == b.service);
    CHECK(a.action == b.action);
    CHECK(a.messageId == b.messageId);
    CHECK(a.timestamp == b.timestamp);
    CHECK(a.refToMessageId == b.refToMessageId);
    CHECK(a.duplicateElimination == b.duplicateElimination);
    CHECK(a.ackRequested == b.ackRequested);
    CHECK(a.syncReply == b.syncReply);
    REQUIRE(a.manifest.size() == b.manifest.size());
    for (std::size_t i = 0; i < a.manifest.size(); ++i) {
        CHECK(a.manifest[i].href == b.manifest[i].href);
        CHECK(a.manifest[i].description == b.manifest[i].description);
        CHECK(a.manifest[i].hl7Payload == b.manifest[i].hl7Payload);
    }
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("ebxml formatTimestamp writes UTC seconds") {
        CHECK(ebxml::formatTimestamp(kTime) == "2026-03-15T06:51:08Z");
        CHECK(ebxml::formatTimestamp(std::chrono::sys_seconds{}) == "1970-01-01T00:00:00Z");
    }

    TEST_CASE("ebxml EPS envelope matches the golden file") {
        const std::string text = ebxml::buildEnvelope(epsHeader());
        checkGolden("ebxml_eps_envelope.xml", text);
        auto doc = xml::parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->text("//eb:AckRequested/@SOAP:actor") ==
              std::optional<std::string>("urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH"));
        CHECK(doc->count("//eb:MessageHeader/eb:DuplicateElimination") == 1);
        CHECK(doc->text("//eb:SyncReply/@SOAP:actor") ==
              std::optional<std::string>("http://schemas.xmlsoap.org/soap/actor/next"));
        CHECK(doc->text("//eb:MessageHeader/@SOAP:mustUnderstand") ==
              std::optional<std::string>("1"));
        CHECK(doc->text("//eb:Reference/hl7ebxml:Payload/@style") ==
              std::optional<std::string>("HL7"));
    }

    TEST_CASE("ebxml GP2GP envelope matches the golden file") {
        const std::string text = ebxml::buildEnvelope(gp2gpHeader());
        checkGolden("ebxml_gp2gp_envelope.xml", text);
        auto doc = xml::parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->text("//eb:AckRequested/@SOAP:actor") ==
              std::optional<std::string>("urn:oasis:names:tc:ebxml-msg:actor:nextMSH"));
        CHECK(doc->count("//eb:SyncReply") == 0);
        CHECK(doc->count("//eb:Reference[starts-with(@xlink:href, 'mid:')]") == 1);
        // The description is escaped on the wire and reads back as plain text.
        CHECK(text.find("Filename=&quot;scan &lt;1&gt;.pdf&quot;") != std::string::npos);
    }

    TEST_CASE("ebxml envelopes round trip through parseEnvelope") {
        SUBCASE("EPS") {
            auto parsed = ebxml::parseEnvelope(ebxml::buildEnvelope(epsHeader()));
            REQUIRE(parsed.ok());
            checkSameHeader(*parsed, epsHeader());
        }
        SUBCASE("GP2GP") {
            auto parsed = ebxml::parseEnvelope(ebxml::buildEnvelope(gp2gpHeader()));
            REQUIRE(parsed.ok());
            checkSameHeader(*parsed, gp2gpHeader());
        }
        SUBCASE("reply with RefToMessageId and no reliability flags") {
            ebxml::MessageHeader h = epsHeader();
            h.refToMessageId = "11111111-2222-3333-4444-555555555555";
            h.duplicateElimination = false;
            h.ackRequested = ebxml::AckRequested::None;
            h.syncReply = false;
            h.manifest.clear();
            const std::string text = ebxml::buildEnvelope(h);
            CHECK(text.find("<SOAP:Body/>") != std::string::npos);
            auto parsed = ebxml::parseEnvelope(text);
            REQUIRE(parsed.ok());
            checkSameHeader(*parsed, h);
        }
    }

    TEST_CASE("ebxml parseEnvelope reads a Spine-style envelope with another SOAP prefix") {
        const std::string text =
            "<?xml version='1.0' encoding='UTF-8'?>\n"
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"\n"
            "  "
            "xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/"
            "msg-header-2_0.xsd\"\n"
            "  xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n"
            "<soap:Header><eb:MessageHeader eb:version=\"2.0\" soap:mustUnderstand=\"1\">\n"
            "<eb:From><eb:PartyId "
            "eb:type=\"urn:nhs:names:partyType:ocs+serviceInstance\">YES-0000806</eb:PartyId></"
            "eb:From>\n"
            "<eb:To><eb:PartyId "
            "eb:type=\"urn:nhs:names:partyType:ocs+serviceInstance\">A91424-9199121</eb:PartyId></"
            "eb:To>\n"
            "<eb:CPAId>S918999404212</eb:CPAId><eb:ConversationId> C1 </eb:ConversationId>\n"
            "<eb:Service>urn:nhs:names:services:psis</eb:Service><eb:Action>MCCI_IN010000UK13</"
            "eb:Action>\n"
            "<eb:MessageData><eb:MessageId>M1</"
            "eb:MessageId><eb:Timestamp>2020-03-19T14:05:22.123+01:00</eb:Timestamp></"
            "eb:MessageData>\n"
            "<eb:DuplicateElimination/></eb:MessageHeader>\n"
            "<eb:AckRequested eb:version=\"2.0\" soap:mustUnderstand=\"1\" eb:signed=\"false\"/>\n"
            "</soap:Header><soap:Body><eb:Manifest "
            "xmlns:hl7ebxml=\"urn:hl7-org:transport/ebXML/DSTUv1.0\" eb:version=\"2.0\">\n"
            "<eb:Reference xlink:href=\"cid:M1@spine.nhs.uk\"><eb:Schema eb:location=\"x\" "
            "eb:version=\"13\"/>\n"
            "<eb:Description xml:lang=\"en\">The HL7 payload</eb:Description>\n"
            "<hl7ebxml:Payload style=\"HL7\" encoding=\"XML\" version=\"3.0\"/></eb:Reference>\n"
            "</eb:Manifest></soap:Body></soap:Envelope>";
        auto parsed = ebxml::parseEnvelope(text);
        REQUIRE(parsed.ok());
        CHECK(parsed->fromPartyId == "YES-0000806");
        CHECK(parsed->conversationId == "C1");
        CHECK(parsed->action == "MCCI_IN010000UK13");
        CHECK(ebxml::formatTimestamp(parsed->timestamp) == "2020-03-19T13:05:22Z");
        CHECK(parsed->duplicateElimination);
        CHECK(parsed->ackRequested == ebxml::AckRequested::ToPartyMsh);
        CHECK_FALSE(parsed->syncReply);
        REQUIRE(parsed->manifest.size() == 1);
        CHECK(parsed->manifest[0].href == "cid:M1@spine.nhs.uk");
        CHECK(parsed->manifest[0].description == "The HL7 payload");
        CHECK(parsed->manifest[0].hl7Payload);
    }

    TEST_CASE("ebxml parseEnvelope reads what XPath selects when elements repeat or hide") {
        // Two SOAP headers and message headers, decoys in other namespaces, the actor on the
        // second eb:AckRequested, text split by a comment: each field must be what the XPath
        // /SOAP:Envelope/SOAP:Header/eb:MessageHeader/... it replaced selects, the first match
        // in document order.
        const std::string text =
            "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\""
            " xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/"
            "msg-header-2_0.xsd\" xmlns:o=\"urn:other\" xmlns:x=\"http://www.w3.org/1999/xlink\""
            " xmlns:h=\"urn:hl7-org:transport/ebXML/DSTUv1.0\">"
            "<o:Header><eb:MessageHeader><eb:CPAId>DECOY</eb:CPAId></eb:MessageHeader></o:Header>"
            "<s:Header><eb:MessageHeader><o:From><eb:PartyId>DECOY</eb:PartyId></o:From>"
            "<eb:CPAId>C<!-- split -->PA</eb:CPAId><eb:MessageData><eb:Timestamp>"
            "2026-03-15T06:51:08Z</eb:Timestamp></eb:MessageData></eb:MessageHeader>"
            "<eb:MessageHeader><eb:From><eb:PartyId>FROM</eb:PartyId></eb:From>"
            "<eb:To><eb:PartyId> TO </eb:PartyId><eb:PartyId>SECOND</eb:PartyId></eb:To>"
            "<eb:CPAId>LATER</eb:CPAId><eb:ConversationId>CONV</eb:ConversationId>"
            "<eb:Service>urn:nhs:names:services:mm</eb:Service><eb:Action>A</eb:Action>"
            "<eb:MessageData><eb:MessageId>MID</eb:MessageId>"
            "<eb:RefToMessageId>REF</eb:RefToMessageId></eb:MessageData>"
            "<eb:DuplicateElimination/></eb:MessageHeader>"
            "<eb:AckRequested/></s:Header>"
            "<s:Header><eb:AckRequested s:actor=\"urn:oasis:names:tc:ebxml-msg:actor:nextMSH\"/>"
            "<eb:SyncReply/></s:Header>"
            "<s:Body><eb:Manifest><eb:Reference x:href=\"cid:one\"><eb:Description>ONE"
            "</eb:Description><eb:Description>TWO</eb:Description></eb:Reference>"
            "<o:Reference x:href=\"cid:decoy\"/></eb:Manifest>"
            "<eb:Manifest><eb:Reference o:href=\"cid:nons\" x:href=\" cid:two \"><h:Payload/>"
            "</eb:Reference></eb:Manifest></s:Body></s:Envelope>";
        auto parsed = ebxml::parseEnvelope(text);
        REQUIRE(parsed.ok());
        auto document = xml::parse(text);
        REQUIRE(document.ok());
        const std::string path = "/SOAP:Envelope/SOAP:Header/eb:MessageHeader/";
        CHECK(parsed->fromPartyId == document->text(path + "eb:From/eb:PartyId"));
        CHECK(parsed->fromPartyId == "FROM");
        CHECK(parsed->toPartyId == "TO");
        CHECK(parsed->cpaId == document->text(path + "eb:CPAId"));
        CHECK(parsed->cpaId == "CPA");
        CHECK(parsed->conversationId == "CONV");
        CHECK(parsed->messageId == "MID");
        CHECK(parsed->refToMessageId == "REF");
        CHECK(ebxml::formatTimestamp(parsed->timestamp) == "2026-03-15T06:51:08Z");
        CHECK(parsed->duplicateElimination);
        CHECK(parsed->ackRequested == ebxml::AckRequested::NextMsh);
        CHECK(parsed->syncReply);
        REQUIRE(parsed->manifest.size() == 2);
        CHECK(parsed->manifest[0].href == "cid:one");
        CHECK(parsed->manifest[0].description == "ONE");
        CHECK_FALSE(parsed->manifest[0].hl7Payload);
        CHECK(parsed->manifest[1].href == "cid:two");
        CHECK(parsed->manifest[1].description == "");
        CHECK(parsed->manifest[1].hl7Payload);
    }

    TEST_CASE("ebxml parseEnvelope reads a Spine-style acknowledgment") {
        const std::string text =
            "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" "
            "xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd\">"
            "<SOAP-ENV:Header><eb:MessageHeader SOAP-ENV:mustUnderstand=\"1\" eb:version=\"2.0\">"
            "<eb:From><eb:PartyId "
            "eb:type=\"urn:nhs:names:partyType:ocs+serviceInstance\">YES-0000806"
            "</eb:PartyId></eb:From><eb:To><eb:PartyId eb:type=\"urn:nhs:names:partyType:ocs+"
            "serviceInstance\">A91424-9199121</eb:PartyId></eb:To><eb:CPAId>S20001A000100</"
            "eb:CPAId>"
            "<eb:ConversationId>C1</eb:ConversationId>"
            "<eb:Service>urn:oasis:names:tc:ebxml-msg:service</eb:Service>"
            "<eb:Action>Acknowledgment</eb:Action><eb:MessageData><eb:MessageId>A1</eb:MessageId>"
            "<eb:Timestamp>2026-03-15T06:51:09Z</eb:Timestamp><eb:RefToMessageId>M1</"
            "eb:RefToMessageId>"
            "</eb:MessageData></eb:MessageHeader>"
            "<eb:Acknowledgment SOAP-ENV:mustUnderstand=\"1\" eb:version=\"2.0\" "
            "SOAP-ENV:actor=\"urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH\">"
            "<eb:Timestamp>2026-03-15T06:51:09Z</eb:Timestamp><eb:RefToMessageId>M1</"
            "eb:RefToMessageId>"
            "</eb:Acknowledgment></SOAP-ENV:Header><SOAP-ENV:Body/></SOAP-ENV:Envelope>";
        auto parsed = ebxml::parseEnvelope(text);
        REQUIRE(parsed.ok());
        CHECK(parsed->service == ebxml::kEbxmlService);
        CHECK(parsed->action == "Acknowledgment");
        CHECK(parsed->refToMessageId == "M1");
        CHECK(parsed->messageId == "A1");
        CHECK(ebxml::formatTimestamp(parsed->timestamp) == "2026-03-15T06:51:09Z");
        CHECK(parsed->manifest.empty());
        CHECK(parsed->ackRequested == ebxml::AckRequested::None);
    }

    TEST_CASE("ebxml parseEnvelope names what is missing or malformed") {
        const std::string good = ebxml::buildEnvelope(epsHeader());
        SUBCASE("MessageId") {
            auto r = ebxml::parseEnvelope(replace(
                good, "<eb:MessageId>3C2F7E1A-6B0D-4C59-9E2B-7D1E5C8A4F10</eb:MessageId>", ""));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:MessageData/eb:MessageId");
            CHECK(r.error().message == "missing or empty");
        }
        SUBCASE("CPAId empty") {
            auto r = ebxml::parseEnvelope(replace(good, "S20001A000100", ""));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:CPAId");
        }
        SUBCASE("From party") {
            auto r =
                ebxml::parseEnvelope(replace(good, "A91424-9199121</eb:PartyId>", "</eb:PartyId>"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:From/eb:PartyId");
        }
        SUBCASE("not well-formed") {
            auto r = ebxml::parseEnvelope(replace(good, "<eb:From>", "<eb:Sender>"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where.rfind("line ", 0) == 0);
        }
        SUBCASE("bad timestamp") {
            auto r = ebxml::parseEnvelope(replace(good, "2026-03-15T06:51:08Z", "15/03/2026"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:MessageData/eb:Timestamp");
            CHECK(r.error().message == "not an ISO 8601 timestamp: '15/03/2026'");
        }
        SUBCASE("unknown actor") {
            auto r = ebxml::parseEnvelope(
                replace(good, "urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH", "urn:elsewhere"));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:AckRequested/@SOAP:actor");
        }
        SUBCASE("no MessageHeader") {
            auto r = ebxml::parseEnvelope(ebxml::buildSoapFault({}));
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:MessageHeader");
        }
        SUBCASE("not SOAP") {
            auto r = ebxml::parseEnvelope("<Envelope/>");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "SOAP:Envelope");
        }
    }

    TEST_CASE("ebxml acknowledgment carries the reference and the ebXML service") {
        ebxml::AcknowledgmentSpec spec;
        spec.fromPartyId = "YES-0000806";
        spec.toPartyId = "A91424-9199121";
        spec.cpaId = "S20001A000100";
        spec.conversationId = "C1";
        spec.messageId = "ACK-1";
        spec.refToMessageId = "M1";
        spec.timestamp = kTime;
        const std::string text = ebxml::buildAcknowledgment(spec);
        checkGolden("ebxml_acknowledgment.xml", text);
        auto doc = xml::parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->text("//eb:MessageHeader/eb:Service") ==
              std::optional<std::string>("urn:oasis:names:tc:ebxml-msg:service"));
        CHECK(doc->text("//eb:MessageHeader/eb:Action") ==
              std::optional<std::string>("Acknowledgment"));
        CHECK(doc->text("//eb:Acknowledgment/eb:RefToMessageId") ==
              std::optional<std::string>("M1"));
        CHECK(doc->text("//eb:Acknowledgment/eb:Timestamp") ==
              std::optional<std::string>("2026-03-15T06:51:08Z"));
        CHECK(doc->text("//eb:Acknowledgment/eb:From/eb:PartyId") ==
              std::optional<std::string>("YES-0000806"));
        auto parsed = ebxml::parseEnvelope(text);
        REQUIRE(parsed.ok());
        CHECK(parsed->refToMessageId == "M1");
        CHECK(parsed->messageId == "ACK-1");
    }

    TEST_CASE("ebxml message error lists each error") {
        ebxml::MessageErrorSpec spec;
        spec.header.fromPartyId = "YES-0000806";
        spec.header.toPartyId = "A91424-9199121";
        spec.header.cpaId = "S20001A000100";
        spec.header.conversationId = "C1";
        spec.header.messageId = "ERR-1";
        spec.header.refToMessageId = "M1";
        spec.header.timestamp = kTime;
        spec.errors.push_back({"ValueNotRecognized", "Error", "501319:Unknown eb:CPAId & <more>"});
        const std::string text = ebxml::buildMessageError(spec);
        checkGolden("ebxml_message_error.xml", text);
        auto doc = xml::parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->text("//eb:MessageHeader/eb:Action") ==
              std::optional<std::string>("MessageError"));
        CHECK(doc->text("//eb:ErrorList/@eb:highestSeverity") ==
              std::optional<std::string>("Error"));
        CHECK(doc->text("//eb:Error/@eb:errorCode") ==
              std::optional<std::string>("ValueNotRecognized"));
        CHECK(doc->text("//eb:Error/@eb:codeContext") ==
              std::optional<std::string>("urn:oasis:names:tc:ebxml-msg:service:errors"));
        CHECK(doc->text("//eb:Error/eb:Description") ==
              std::optional<std::string>("501319:Unknown eb:CPAId & <more>"));
    }

    TEST_CASE("ebxml SOAP fault uses the TMS code context by default") {
        ebxml::SoapFaultSpec spec;
        spec.errors.push_back({"200", "Error", "System failure to process message - default"});
        spec.errors.push_back(
            {"206", "Error", "Routing delivery failure", "urn:nhs:names:error:other"});
        const std::string text = ebxml::buildSoapFault(spec);
        checkGolden("ebxml_soap_fault.xml", text);
        auto doc = xml::parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->text("/SOAP:Envelope/SOAP:Body/SOAP:Fault/faultcode") ==
              std::optional<std::string>("SOAP:Server"));
        CHECK(doc->texts("//nasp:error/nasp:errorCode") == std::vector<std::string>{"200", "206"});
        CHECK(doc->texts("//nasp:error/nasp:codeContext") ==
              std::vector<std::string>{"urn:nhs:names:error:tms", "urn:nhs:names:error:other"});
    }

} // TEST_SUITE
