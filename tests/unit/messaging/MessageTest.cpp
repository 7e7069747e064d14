#include "Golden.hpp"

#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <string>

namespace ebxml = gp::messaging::ebxml;
namespace xml = gp::messaging::xml;

using gp::test::checkGolden;

namespace {

constexpr std::chrono::sys_seconds kTime{std::chrono::seconds{1'773'557'468}};

const std::string kPayload = "<PORX_IN020101SM31 xmlns=\"urn:hl7-org:v3\"><id root=\"M-1\"/>"
                             "<name>Zo\xC3\xAB \xC3\x98\x64\x65g\xC3\xA5rd \xE2\x80\x94 "
                             "\xE6\x9D\xB1\xE4\xBA\xAC</name></PORX_IN020101SM31>";

ebxml::Message sampleMessage() {
    ebxml::Message m;
    m.header.fromPartyId = "B86041-822103";
    m.header.toPartyId = "M85019-822104";
    m.header.cpaId = "S2036482A2160104";
    m.header.conversationId = "9E6A3F21-5C4B-4D8E-A1F0-2B3C4D5E6F70";
    m.header.service = "urn:nhs:names:services:gp2gp";
    m.header.action = "RCMR_IN030000UK06";
    m.header.messageId = "0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9";
    m.header.timestamp = kTime;
    m.header.duplicateElimination = true;
    m.header.ackRequested = ebxml::AckRequested::NextMsh;
    // A stale cid: entry is dropped; the mid: entry is kept after the derived ones.
    m.header.manifest.push_back({"cid:stale@x", "stale", false});
    m.header.manifest.push_back(
        {"mid:1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9",
         "Filename=\"big scan.pdf\" ContentType=application/pdf Compressed=No LargeAttachment=Yes "
         "OriginalBase64=No",
         false});
    m.payload = kPayload;
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    m.attachments.push_back({"attachment-1@gp-agent", "application/octet-stream",
                             "Filename=\"scan=1 a.bin\" ContentType=application/octet-stream "
                             "Compressed=No LargeAttachment=No OriginalBase64=Yes",
                             bytes, true});
    m.attachments.push_back(
        {"attachment-2@gp-agent", "text/plain", "Filename=\"note.txt\"", "plain note\r\n", false});
    return m;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("ebxml soapActionFor joins service and interaction") {
        ebxml::MessageHeader h;
        h.service = "urn:nhs:names:services:mm";
        h.action = "PORX_IN020101SM31";
        CHECK(ebxml::soapActionFor(h) == "urn:nhs:names:services:mm/PORX_IN020101SM31");
    }

    TEST_CASE("ebxml buildMessage lays out envelope payload and attachments") {
        const auto http = ebxml::buildMessage(sampleMessage());
        CHECK(http.contentType ==
              "multipart/related; boundary=\"--=_MIME-Boundary\"; type=text/xml; "
              "start=ebXMLHeader@spine.nhs.uk");
        CHECK(http.soapAction == "urn:nhs:names:services:gp2gp/RCMR_IN030000UK06");
        checkGolden("ebxml_gp2gp_message.txt", http.body);
        CHECK(http.body.rfind("----=_MIME-Boundary\r\nContent-Id: <ebXMLHeader@spine.nhs.uk>\r\n"
                              "Content-Type: text/xml; charset=UTF-8\r\n",
                              0) == 0);
        CHECK(http.body.find("Content-Id: <0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9@spine.nhs.uk>\r\n"
                             "Content-Type: text/xml\r\n") != std::string::npos);

        auto multipart = gp::messaging::mime::parse(http.contentType, http.body);
        REQUIRE(multipart.ok());
        REQUIRE(multipart->parts.size() == 4);
        auto envelope = xml::parse(multipart->parts[0].body);
        REQUIRE(envelope.ok());
        CHECK(envelope->texts("//eb:Reference/@xlink:href") ==
              std::vector<std::string>{"cid:0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9@spine.nhs.uk",
                                       "cid:attachment-1@gp-agent", "cid:attachment-2@gp-agent",
                                       "mid:1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9"});
        CHECK(envelope->count("//eb:Reference[hl7ebxml:Payload]") == 1);
        CHECK(multipart->parts[2].transferEncoding == "base64");
        CHECK(multipart->parts[3].transferEncoding == "8bit");
    }

    TEST_CASE("ebxml build then parse round trips a whole message") {
        const ebxml::Message original = sampleMessage();
        const auto http = ebxml::buildMessage(original);
        auto parsed = ebxml::parseMessage(http.contentType, http.body);
        REQUIRE(parsed.ok());
        CHECK(parsed->header.messageId == original.header.messageId);
        CHECK(parsed->header.ackRequested == ebxml::AckRequested::NextMsh);
        CHECK(parsed->payload == kPayload);
        REQUIRE(parsed->attachments.size() == 2);
        for (std::size_t i = 0; i < 2; ++i) {
            CHECK(parsed->attachments[i].contentId == original.attachments[i].contentId);
            CHECK(parsed->attachments[i].contentType == original.attachments[i].contentType);
            CHECK(parsed->attachments[i].description == original.attachments[i].description);
            CHECK(parsed->attachments[i].body == original.attachments[i].body);
            CHECK(parsed->attachments[i].base64 == original.attachments[i].base64);
        }
        REQUIRE(parsed->header.manifest.size() == 4);
        CHECK(parsed->header.manifest[3].href == "mid:1A2B3C4D-5E6F-4071-8293-A4B5C6D7E8F9");

        // Building the parsed message again gives the same bytes.
        CHECK(ebxml::buildMessage(*parsed).body == http.body);
    }

    TEST_CASE("ebxml parseMessage reads the Spine form with LF lines and the payload not second") {
        const std::string envelope =
            "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\""
            " xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd\""
            " xmlns:xlink=\"http://www.w3.org/1999/xlink\""
            " xmlns:hl7ebxml=\"urn:hl7-org:transport/ebXML/DSTUv1.0\">"
            "<soap:Header><eb:MessageHeader>"
            "<eb:From><eb:PartyId>YES-0000806</eb:PartyId></eb:From>"
            "<eb:To><eb:PartyId>A91424-9199121</eb:PartyId></eb:To>"
            "<eb:CPAId>S1</eb:CPAId><eb:ConversationId>C1</eb:ConversationId>"
            "<eb:Service>urn:nhs:names:services:psis</eb:Service><eb:Action>MCCI_IN010000UK13</"
            "eb:Action>"
            "<eb:MessageData><eb:MessageId>M9</eb:MessageId><eb:Timestamp>2020-03-19T14:05:22Z</"
            "eb:Timestamp>"
            "</eb:MessageData></eb:MessageHeader></soap:Header>"
            "<soap:Body><eb:Manifest><eb:Reference xlink:href=\"cid:other@x\"/>"
            "<eb:Reference xlink:href=\"cid:M9@spine.nhs.uk\"><hl7ebxml:Payload/></eb:Reference>"
            "</eb:Manifest></soap:Body></soap:Envelope>";
        const std::string body =
            "----=_MIME-Boundary\n"
            "Content-Id: <other@x>\nContent-Type: text/plain\n\nattached\n"
            "----=_MIME-Boundary\n"
            "Content-Id: <ebXMLHeader@spine.nhs.uk>\nContent-Type: text/xml\n\n" +
            envelope +
            "\n----=_MIME-Boundary\n"
            "Content-Id: <M9@spine.nhs.uk>\nContent-Type: application/xml\n\n"
            "<MCCI_IN010000UK13/>\n"
            "----=_MIME-Boundary--\n";
        auto parsed = ebxml::parseMessage("multipart/related; boundary=\"--=_MIME-Boundary\"; "
                                          "charset=\"UTF-8\"; type=\"text/xml\"; "
                                          "start=\"<ebXMLHeader@spine.nhs.uk>\"",
                                          body);
        REQUIRE(parsed.ok());
        CHECK(parsed->header.messageId == "M9");
        CHECK(parsed->payload == "<MCCI_IN010000UK13/>");
        REQUIRE(parsed->attachments.size() == 1);
        CHECK(parsed->attachments[0].contentId == "other@x");
        CHECK(parsed->attachments[0].body == "attached");
    }

    TEST_CASE("ebxml parseMessage errors") {
        SUBCASE("start names no part") {
            auto r = ebxml::parseMessage("multipart/related; boundary=x; start=<nope>",
                                         "--x\r\nContent-Id: <a>\r\n\r\n<a/>\r\n--x--\r\n");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "Content-Type start");
        }
        SUBCASE("envelope missing a field") {
            auto r = ebxml::parseMessage("multipart/related; boundary=x",
                                         "--x\r\nContent-Id: <a>\r\n\r\n<a/>\r\n--x--\r\n");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "SOAP:Envelope");
        }
        SUBCASE("payload named in the manifest is absent") {
            ebxml::Message m = sampleMessage();
            auto http = ebxml::buildMessage(m);
            const std::string cid = "<0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9@spine.nhs.uk>\r\n";
            http.body.replace(http.body.find(cid), cid.size(), "<elsewhere@x>\r\n");
            auto r = ebxml::parseMessage(http.contentType, http.body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "eb:Manifest");
        }
    }

} // TEST_SUITE
