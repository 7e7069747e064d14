#include <gp/messaging/gp2gp/AttachmentDescription.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace gp::messaging::gp2gp;

namespace {

AttachmentDescription sample() {
    AttachmentDescription d;
    d.filename = "1C135B3C-5AA5-4BF1-A08B-E6002455B806_image.tif";
    d.contentType = "image/tiff";
    d.compressed = true;
    d.largeAttachment = false;
    d.originalBase64 = true;
    return d;
}

void checkSame(const AttachmentDescription& a, const AttachmentDescription& b) {
    CHECK(a.filename == b.filename);
    CHECK(a.contentType == b.contentType);
    CHECK(a.compressed == b.compressed);
    CHECK(a.largeAttachment == b.largeAttachment);
    CHECK(a.originalBase64 == b.originalBase64);
    CHECK(a.length == b.length);
    CHECK(a.domainData == b.domainData);
}

AttachmentDescription roundTrip(const AttachmentDescription& d) {
    auto parsed = parseAttachmentDescription(formatAttachmentDescription(d));
    REQUIRE_MESSAGE(parsed.ok(), parsed.error().describe());
    return parsed.value();
}

gp::Error errorOf(std::string_view text) {
    auto parsed = parseAttachmentDescription(text);
    REQUIRE_FALSE(parsed.ok());
    return parsed.error();
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("gp2gp formatAttachmentDescription writes the grammar in its fixed order") {
        AttachmentDescription d = sample();
        CHECK(formatAttachmentDescription(d) ==
              "Filename=\"1C135B3C-5AA5-4BF1-A08B-E6002455B806_image.tif\" ContentType=image/tiff "
              "Compressed=Yes LargeAttachment=No OriginalBase64=Yes");
        d.length = 723420;
        d.domainData = "X-GP2GP-Skeleton: Yes";
        CHECK(formatAttachmentDescription(d) ==
              "Filename=\"1C135B3C-5AA5-4BF1-A08B-E6002455B806_image.tif\" ContentType=image/tiff "
              "Compressed=Yes LargeAttachment=No OriginalBase64=Yes Length=723420 "
              "DomainData=\"X-GP2GP-Skeleton: Yes\"");
    }

    TEST_CASE("gp2gp attachment descriptions round trip") {
        SUBCASE("plain") {
            checkSame(roundTrip(sample()), sample());
        }
        SUBCASE("spaces and equals signs in the filename") {
            AttachmentDescription d = sample();
            d.filename = "scan=1 a b=.pdf";
            checkSame(roundTrip(d), d);
        }
        SUBCASE("a filename that looks like the grammar itself") {
            AttachmentDescription d = sample();
            d.filename = "x\" ContentType=text/plain Compressed=No Length=1 \"y";
            checkSame(roundTrip(d), d);
            CHECK(formatAttachmentDescription(d).find("Filename=\"x\\\" ContentType") == 0);
        }
        SUBCASE("backslashes and quotes are escaped") {
            AttachmentDescription d = sample();
            d.filename = "C:\\scans\\\"final\".pdf\\";
            checkSame(roundTrip(d), d);
        }
        SUBCASE("Length and DomainData") {
            AttachmentDescription d = sample();
            d.length = 18446744073709551615ULL;
            d.domainData = "X-GP2GP-Skeleton: Yes";
            checkSame(roundTrip(d), d);
        }
        SUBCASE("multibyte UTF-8 filename") {
            AttachmentDescription d = sample();
            d.filename = "Zo\xC3\xAB \xE6\x9D\xB1\xE4\xBA\xAC.pdf";
            checkSame(roundTrip(d), d);
        }
        SUBCASE("a content type with a space is quoted") {
            AttachmentDescription d = sample();
            d.contentType = "text/plain; charset=UTF-8";
            CHECK(formatAttachmentDescription(d).find(
                      "ContentType=\"text/plain; charset=UTF-8\"") != std::string::npos);
            checkSame(roundTrip(d), d);
        }
    }

    TEST_CASE("gp2gp control characters in a filename become spaces") {
        AttachmentDescription d = sample();
        d.filename = "two\r\nlines\t.txt";
        const std::string text = formatAttachmentDescription(d);
        CHECK(text.find_first_of("\r\n\t") == std::string::npos);
        CHECK(roundTrip(d).filename == "two  lines .txt");
    }

    TEST_CASE("gp2gp parseAttachmentDescription reads the example conversations") {
        SUBCASE("spread over lines with tabs, as in the extract's manifest") {
            auto d = parseAttachmentDescription(
                "\n\t\t\t\tFilename=\"7CCB6A77-360E-434E-8CF4-97C7C2B47D70_book.txt\" \n"
                "\t\t\t\tContentType=text/plain \n\t\t\t\tCompressed=No \n"
                "\t\t\t\tLargeAttachment=Yes \n\t\t\t\tOriginalBase64=Yes\n\t\t\t");
            REQUIRE(d.ok());
            CHECK(d->filename == "7CCB6A77-360E-434E-8CF4-97C7C2B47D70_book.txt");
            CHECK(d->contentType == "text/plain");
            CHECK_FALSE(d->compressed);
            CHECK(d->largeAttachment);
            CHECK(d->originalBase64);
            CHECK_FALSE(d->length.has_value());
            CHECK_FALSE(d->domainData.has_value());
        }
        SUBCASE("an EMIS skeleton") {
            auto d = parseAttachmentDescription(
                "Filename=\"857419DE-7512-4619-A567-067CF9959EF1_EmisWeb.Hl7\" "
                "ContentType=text/xml Compressed=Yes LargeAttachment=No OriginalBase64=No "
                "Length=723420 DomainData=\"X-GP2GP-Skeleton: Yes\"");
            REQUIRE(d.ok());
            CHECK(d->compressed);
            CHECK(d->length == 723420u);
            CHECK(d->domainData == "X-GP2GP-Skeleton: Yes");
        }
        SUBCASE("a filename holding text that looks like keys") {
            auto d = parseAttachmentDescription(
                "Filename=\"3D085A2B-E00F-44F8-AA85-6699D2D4B259_(Encoded Compressed=No "
                "Length=42810092) 2003-16.tif\" ContentType=image/tiff Compressed=No "
                "LargeAttachment=Yes OriginalBase64=No Length=42810092");
            REQUIRE(d.ok());
            CHECK(d->filename == "3D085A2B-E00F-44F8-AA85-6699D2D4B259_(Encoded Compressed=No "
                                 "Length=42810092) 2003-16.tif");
            CHECK(d->largeAttachment);
            CHECK(d->length == 42810092u);
        }
        SUBCASE("keys in another order, unknown keys ignored") {
            auto d = parseAttachmentDescription(
                "OriginalBase64=No   Compressed=No ContentType=application/pdf X-Extra=1 "
                "LargeAttachment=No Filename=\"a.pdf\"");
            REQUIRE(d.ok());
            CHECK(d->filename == "a.pdf");
            CHECK(d->contentType == "application/pdf");
        }
        SUBCASE("a Windows path written by a system that does not escape") {
            auto d = parseAttachmentDescription(
                "Filename=\"C:\\scans\\x.pdf\" ContentType=application/pdf Compressed=No "
                "LargeAttachment=No OriginalBase64=No");
            REQUIRE(d.ok());
            CHECK(d->filename == "C:\\scans\\x.pdf");
        }
    }

    TEST_CASE("gp2gp parseAttachmentDescription errors name the token") {
        const std::string rest =
            " ContentType=text/plain Compressed=No LargeAttachment=No OriginalBase64=No";
        SUBCASE("missing required keys") {
            for (const char* key :
                 {"Filename", "ContentType", "Compressed", "LargeAttachment", "OriginalBase64"}) {
                CAPTURE(key);
                std::string text = "Filename=\"a.txt\"" + rest;
                const std::string needle = std::string(key) + "=";
                const auto at = text.find(needle);
                const auto end = text.find(' ', at);
                text.erase(at, end == std::string::npos ? std::string::npos : end - at + 1);
                const gp::Error e = errorOf(text);
                CHECK(e.where == key);
                CHECK(e.message == "is missing");
            }
        }
        SUBCASE("Yes or No only") {
            const gp::Error e = errorOf(
                "Filename=\"a.txt\" ContentType=text/plain Compressed=maybe LargeAttachment=No "
                "OriginalBase64=No");
            CHECK(e.where == "Compressed");
            CHECK(e.message == "must be Yes or No, not 'maybe'");
            CHECK(errorOf("Filename=\"a.txt\" ContentType=text/plain Compressed=No "
                          "LargeAttachment=yes OriginalBase64=No")
                      .where == "LargeAttachment");
        }
        SUBCASE("Length must be a whole number") {
            for (const char* bad : {"-1", "12a", "1.5", "", "99999999999999999999"}) {
                CAPTURE(bad);
                const gp::Error e = errorOf("Filename=\"a.txt\"" + rest + " Length=" + bad);
                CHECK(e.where == "Length");
                CHECK(e.message ==
                      "must be a whole number of bytes, not '" + std::string(bad) + "'");
            }
        }
        SUBCASE("unterminated quote") {
            const gp::Error e = errorOf("Filename=\"a.txt" + rest);
            CHECK(e.where == "Filename");
            CHECK(e.message == "has no closing quote");
        }
        SUBCASE("DomainData with an unterminated quote") {
            const gp::Error e = errorOf("Filename=\"a.txt\"" + rest + " DomainData=\"X-GP2GP");
            CHECK(e.where == "DomainData");
        }
        SUBCASE("a token that is not a pair") {
            const gp::Error e = errorOf("Filename=\"a.txt\"" + rest + " stray");
            CHECK(e.where == "stray");
            CHECK(e.message == "is not a Key=value pair");
        }
        SUBCASE("text glued to a closing quote") {
            const gp::Error e = errorOf("Filename=\"a.txt\"x" + rest);
            CHECK(e.where == "Filename");
            CHECK(e.message == "closing quote must be followed by a space");
        }
        SUBCASE("a key given twice") {
            const gp::Error e = errorOf("Filename=\"a.txt\"" + rest + " Compressed=Yes");
            CHECK(e.where == "Compressed");
            CHECK(e.message == "appears twice");
        }
        SUBCASE("empty filename") {
            const gp::Error e = errorOf("Filename=\"\"" + rest);
            CHECK(e.where == "Filename");
            CHECK(e.message == "must not be empty");
        }
        SUBCASE("a plain word such as Attachment") {
            const gp::Error e = errorOf("Attachment");
            CHECK(e.where == "Attachment");
        }
        SUBCASE("empty text") {
            CHECK(errorOf("").where == "Filename");
        }
    }
}
