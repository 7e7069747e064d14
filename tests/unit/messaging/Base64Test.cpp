#include <gp/messaging/mime/Multipart.hpp>

#include <doctest/doctest.h>

#include <string>

using gp::messaging::mime::base64Decode;
using gp::messaging::mime::base64Encode;

TEST_SUITE("messaging") {

    TEST_CASE("base64 encodes the RFC 4648 test vectors") {
        CHECK(base64Encode("") == "");
        CHECK(base64Encode("f") == "Zg==");
        CHECK(base64Encode("fo") == "Zm8=");
        CHECK(base64Encode("foo") == "Zm9v");
        CHECK(base64Encode("foob") == "Zm9vYg==");
        CHECK(base64Encode("fooba") == "Zm9vYmE=");
        CHECK(base64Encode("foobar") == "Zm9vYmFy");
    }

    TEST_CASE("base64 wraps lines with CRLF at the requested length") {
        const std::string bytes(100, 'x');
        const std::string wrapped = base64Encode(bytes, 76);
        REQUIRE(wrapped.size() == 136 + 2);
        CHECK(wrapped.substr(76, 2) == "\r\n");
        CHECK(wrapped.find("\r\n", 78) == std::string::npos);
        CHECK(base64Encode(bytes, 0).find('\r') == std::string::npos);
        CHECK(base64Encode(std::string(57, 'x'), 76).find('\r') == std::string::npos);
    }

    TEST_CASE("base64 round trips every byte value") {
        std::string bytes;
        for (int i = 0; i < 256; ++i) {
            bytes += static_cast<char>(i);
        }
        for (std::size_t cut = 0; cut < 4; ++cut) {
            const std::string slice = bytes.substr(cut);
            auto decoded = base64Decode(base64Encode(slice));
            REQUIRE(decoded.ok());
            CHECK(*decoded == slice);
        }
    }

    TEST_CASE("base64 decode ignores line breaks and spaces") {
        auto decoded = base64Decode(" Zm9v\r\nYmFy \n");
        REQUIRE(decoded.ok());
        CHECK(*decoded == "foobar");
    }

    TEST_CASE("base64 decode names the offending byte") {
        auto bad = base64Decode("Zm9v!mFy");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().where == "byte 4");
        CHECK(bad.error().message == "invalid base64 character 0x21");

        auto afterPadding = base64Decode("Zg==Zg==");
        REQUIRE_FALSE(afterPadding.ok());
        CHECK(afterPadding.error().where == "byte 4");
        CHECK(afterPadding.error().message == "base64 data after padding");

        auto truncated = base64Decode("Zm9vY");
        REQUIRE_FALSE(truncated.ok());
        CHECK(truncated.error().message == "truncated base64 data");
    }

} // TEST_SUITE
