#include "Golden.hpp"

#include <gp/messaging/mime/Multipart.hpp>

#include <doctest/doctest.h>

#include <string>

namespace mime = gp::messaging::mime;

using gp::test::checkGolden;

namespace {

std::string allBytes() {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    return bytes;
}

const std::string kUtf8Text =
    "Zo\xC3\xAB \xC3\x98\x64\x65g\xC3\xA5rd \xE2\x80\x94 \xE6\x9D\xB1\xE4\xBA\xAC";

mime::Multipart sampleMessage() {
    mime::Multipart message;
    mime::Part envelope;
    envelope.contentId = "ebXMLHeader@spine.nhs.uk";
    envelope.contentType = "text/xml; charset=UTF-8";
    envelope.body = "<SOAP:Envelope/>";
    mime::Part payload;
    payload.contentId = "5BB171D4-53B2-4986-90CF-428BE6D157F5@spine.nhs.uk";
    payload.contentType = "text/xml";
    payload.body =
        "<QUPA_IN000006UK02 xmlns=\"urn:hl7-org:v3\">" + kUtf8Text + "</QUPA_IN000006UK02>";
    mime::Part attachment;
    attachment.contentId = "attachment-1@gp-agent";
    attachment.contentType = "application/octet-stream";
    attachment.transferEncoding = "base64";
    attachment.extraHeaders.emplace_back(
        "Content-Description", "Filename=\"scan 1.bin\" ContentType=application/octet-stream");
    attachment.body = allBytes();
    message.parts = {envelope, payload, attachment};
    return message;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("mime parseContentType reads the form we send") {
        auto ct = mime::parseContentType("multipart/related; boundary=\"--=_MIME-Boundary\"; "
                                         "type=text/xml; start=ebXMLHeader@spine.nhs.uk");
        REQUIRE(ct.ok());
        CHECK(ct->mediaType == "multipart/related");
        CHECK(ct->boundary == "--=_MIME-Boundary");
        CHECK(ct->type == "text/xml");
        CHECK(ct->start == "ebXMLHeader@spine.nhs.uk");
        CHECK(ct->charset.empty());
    }

    TEST_CASE("mime parseContentType reads the form Spine sends") {
        auto ct = mime::parseContentType("multipart/related; boundary=\"--=_MIME-Boundary\"; "
                                         "charset=\"UTF-8\"; type=\"text/xml\"; "
                                         "start=\"<ebXMLHeader@spine.nhs.uk>\"");
        REQUIRE(ct.ok());
        CHECK(ct->boundary == "--=_MIME-Boundary");
        CHECK(ct->type == "text/xml");
        CHECK(ct->start == "ebXMLHeader@spine.nhs.uk");
        CHECK(ct->charset == "UTF-8");
    }

    TEST_CASE("mime parseContentType accepts any order case and whitespace") {
        auto ct = mime::parseContentType("  Multipart/Related ;START=<a@b>;\tType = \"text/xml\" ;"
                                         " BOUNDARY=abc ;");
        REQUIRE(ct.ok());
        CHECK(ct->mediaType == "multipart/related");
        CHECK(ct->start == "a@b");
        CHECK(ct->type == "text/xml");
        CHECK(ct->boundary == "abc");

        auto quotedSemicolon = mime::parseContentType("multipart/related; boundary=\"a;b\"");
        REQUIRE(quotedSemicolon.ok());
        CHECK(quotedSemicolon->boundary == "a;b");

        auto plain = mime::parseContentType("text/xml");
        REQUIRE(plain.ok());
        CHECK(plain->mediaType == "text/xml");
        CHECK(plain->boundary.empty());
    }

    TEST_CASE("mime parseContentType rejects malformed values") {
        auto empty = mime::parseContentType("");
        REQUIRE_FALSE(empty.ok());
        CHECK(empty.error().where == "Content-Type");

        auto unterminated = mime::parseContentType("multipart/related; boundary=\"abc");
        REQUIRE_FALSE(unterminated.ok());
        CHECK(unterminated.error().message == "unterminated quoted parameter");
    }

    TEST_CASE("mime contentTypeHeader is the form Spine accepts") {
        mime::Multipart message;
        CHECK(mime::contentTypeHeader(message) ==
              "multipart/related; boundary=\"--=_MIME-Boundary\"; type=text/xml; "
              "start=ebXMLHeader@spine.nhs.uk");
    }

    TEST_CASE("mime serialize matches the golden body") {
        const std::string body = mime::serialize(sampleMessage());
        checkGolden("mime_three_parts.txt", body);
        // Every line break is CRLF.
        for (std::size_t i = 0; i < body.size(); ++i) {
            if (body[i] == '\n') {
                REQUIRE(i > 0);
                CHECK(body[i - 1] == '\r');
            }
        }
    }

    TEST_CASE("mime build then parse round trips a binary attachment and UTF-8 text") {
        const mime::Multipart original = sampleMessage();
        auto parsed = mime::parse(mime::contentTypeHeader(original), mime::serialize(original));
        REQUIRE(parsed.ok());
        CHECK(parsed->boundary == original.boundary);
        CHECK(parsed->start == "ebXMLHeader@spine.nhs.uk");
        CHECK(parsed->type == "text/xml");
        REQUIRE(parsed->parts.size() == 3);
        for (std::size_t i = 0; i < 3; ++i) {
            CHECK(parsed->parts[i].contentId == original.parts[i].contentId);
            CHECK(parsed->parts[i].contentType == original.parts[i].contentType);
            CHECK(parsed->parts[i].transferEncoding == original.parts[i].transferEncoding);
            CHECK(parsed->parts[i].body == original.parts[i].body);
        }
        CHECK(parsed->parts[2].header("content-description") ==
              "Filename=\"scan 1.bin\" ContentType=application/octet-stream");
        CHECK(parsed->parts[2].body.size() == 256);
        CHECK(parsed->parts[1].body.find(kUtf8Text) != std::string::npos);
    }

    TEST_CASE("mime binary bodies survive NUL bytes and near-boundary lines") {
        mime::Multipart message;
        message.boundary = "b1";
        mime::Part part;
        part.contentId = "x@y";
        part.contentType = "application/octet-stream";
        part.transferEncoding = "binary";
        using namespace std::string_literals;
        part.body = "a\0b\r\n--b1x\r\n--b1 not\r\n---b1--\r\nz--b1\r\n--b1\t-\n"s;
        REQUIRE(part.body.size() == 45);
        part.body += allBytes();
        message.parts.push_back(part);
        auto parsed = mime::parse("multipart/related; boundary=b1", mime::serialize(message));
        REQUIRE(parsed.ok());
        REQUIRE(parsed->parts.size() == 1);
        CHECK(parsed->parts[0].body == part.body);
    }

    TEST_CASE("mime parse accepts the Spine form with LF only lines preamble and epilogue") {
        const std::string contentType = "multipart/related; boundary=\"--=_MIME-Boundary\"; "
                                        "charset=\"UTF-8\"; type=\"text/xml\"; "
                                        "start=\"<ebXMLHeader@spine.nhs.uk>\"";
        const std::string body = "This is a preamble.\n"
                                 "----=_MIME-Boundary\n"
                                 "content-id: <ebXMLHeader@spine.nhs.uk>\n"
                                 "CONTENT-TYPE: text/xml\n"
                                 "Content-Transfer-Encoding: 8bit\n"
                                 "\n"
                                 "<SOAP:Envelope/>\n"
                                 "\n"
                                 "----=_MIME-Boundary\n"
                                 "Content-ID: <ABC@spine.nhs.uk>\n"
                                 "Content-Type: application/xml\n"
                                 "X-Folded: one\n"
                                 "  two\n"
                                 "\n"
                                 "<MCCI_IN010000UK13>" +
                                 kUtf8Text +
                                 "</MCCI_IN010000UK13>\n"
                                 "----=_MIME-Boundary--\n"
                                 "epilogue\n";
        auto parsed = mime::parse(contentType, body);
        REQUIRE(parsed.ok());
        REQUIRE(parsed->parts.size() == 2);
        CHECK(parsed->parts[0].contentId == "ebXMLHeader@spine.nhs.uk");
        CHECK(parsed->parts[0].contentType == "text/xml");
        CHECK(parsed->parts[0].body == "<SOAP:Envelope/>\n");
        CHECK(parsed->parts[1].contentId == "ABC@spine.nhs.uk");
        CHECK(parsed->parts[1].transferEncoding == "7bit");
        CHECK(parsed->parts[1].header("x-folded") == "one two");
        CHECK(parsed->parts[1].body == "<MCCI_IN010000UK13>" + kUtf8Text + "</MCCI_IN010000UK13>");
    }

    TEST_CASE("mime parse errors name what is wrong") {
        SUBCASE("no boundary parameter") {
            auto r = mime::parse("multipart/related; type=text/xml", "--x\r\n\r\nbody\r\n--x--");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "Content-Type");
            CHECK(r.error().message == "no boundary parameter");
        }
        SUBCASE("not multipart") {
            auto r = mime::parse("text/xml", "<a/>");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().message == "not a multipart media type: text/xml");
        }
        SUBCASE("no delimiter at all") {
            auto r = mime::parse("multipart/related; boundary=x", "just text --x-- inline");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "body");
            CHECK(r.error().message == "no delimiter line '--x' found");
        }
        SUBCASE("missing closing delimiter") {
            const std::string body = "--x\r\nContent-Id: <a>\r\n\r\nbody\r\n";
            auto r = mime::parse("multipart/related; boundary=x", body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "byte " + std::to_string(body.size()));
            CHECK(r.error().message == "missing closing delimiter '--x--'");
        }
        SUBCASE("bad base64 names the part and byte") {
            const std::string body =
                "--x\r\nContent-Id: <a>\r\n\r\nA\r\n"
                "--x\r\nContent-Id: <att@1>\r\nContent-Transfer-Encoding: base64\r\n"
                "\r\nZm9v*mFy\r\n--x--\r\n";
            auto r = mime::parse("multipart/related; boundary=x", body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "part 2 byte " + std::to_string(body.find('*')));
            CHECK(r.error().message ==
                  "bad base64 in part with Content-Id <att@1>: invalid base64 character 0x2A");
        }
        SUBCASE("unsupported transfer encoding") {
            const std::string body =
                "--x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=20b\r\n--x--\r\n";
            auto r = mime::parse("multipart/related; boundary=x", body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "part 1 Content-Transfer-Encoding");
        }
        SUBCASE("headers without a blank line") {
            auto r =
                mime::parse("multipart/related; boundary=x", "--x\r\nContent-Id: <a>\r\n--x--\r\n");
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().where == "part 1");
            CHECK(r.error().message == "no blank line after the part headers");
        }
    }

} // TEST_SUITE
