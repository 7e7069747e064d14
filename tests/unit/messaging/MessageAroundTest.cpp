#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/mime/Base64Stream.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

namespace ebxml = gp::messaging::ebxml;
namespace mime = gp::messaging::mime;

namespace {

ebxml::Message messageWith(std::string lastBody, bool base64) {
    ebxml::Message m;
    m.header.fromPartyId = "A83008-9199121";
    m.header.toPartyId = "B86041-9199122";
    m.header.cpaId = "S2036482A2160104";
    m.header.conversationId = "9E6A3F21-5C4B-4D8E-A1F0-2B3C4D5E6F70";
    m.header.service = "urn:nhs:names:services:gp2gp";
    m.header.action = "COPC_IN000001UK01";
    m.header.messageId = "0B1C2D3E-4F50-4617-8283-94A5B6C7D8E9";
    m.header.timestamp = std::chrono::sys_seconds{std::chrono::seconds{1'773'557'468}};
    m.payload = "<COPC_IN000001UK01 xmlns=\"urn:hl7-org:v3\"/>";
    m.attachments.push_back({"first@gp-agent", "text/plain", "Filename=\"a.txt\"", "a\r\n", false});
    m.attachments.push_back({"big@gp-agent", "application/octet-stream",
                             "Filename=\"scan.bin\" ContentType=application/octet-stream",
                             std::move(lastBody), base64});
    return m;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("ebxml buildMessageAround gives buildMessage's bytes when the content is streamed") {
        std::string content;
        for (int i = 0; i < 5000; ++i) {
            content += static_cast<char>(i * 7 + i / 256);
        }
        for (const bool base64 : {true, false}) {
            CAPTURE(base64);
            const auto whole = ebxml::buildMessage(messageWith(content, base64));
            const auto split = ebxml::buildMessageAround(messageWith("", base64));
            std::string streamed = split.head;
            if (base64) {
                mime::Base64Encoder encoder;
                for (std::size_t at = 0; at < content.size(); at += 999) {
                    encoder.update(std::string_view(content).substr(at, 999), streamed);
                }
                encoder.finish(streamed);
            } else {
                streamed += content;
            }
            streamed += split.tail;
            CHECK(streamed == whole.body);
            CHECK(split.contentType == whole.contentType);
            CHECK(split.soapAction == whole.soapAction);
            // And it reads back with the content in the last attachment.
            auto parsed = ebxml::parseMessage(split.contentType, streamed);
            REQUIRE(parsed.ok());
            REQUIRE(parsed->attachments.size() == 2);
            CHECK(parsed->attachments.back().body == content);
        }
    }

    TEST_CASE("ebxml buildMessageAround refuses a message whose last attachment has a body") {
        CHECK_THROWS_AS(ebxml::buildMessageAround(messageWith("x", true)), std::invalid_argument);
        ebxml::Message none = messageWith("", true);
        none.attachments.clear();
        CHECK_THROWS_AS(ebxml::buildMessageAround(none), std::invalid_argument);
    }

} // TEST_SUITE
