#include <gp/messaging/mime/Base64Stream.hpp>
#include <gp/messaging/mime/Multipart.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

using gp::messaging::mime::base64Decode;
using gp::messaging::mime::Base64Decoder;
using gp::messaging::mime::base64Encode;
using gp::messaging::mime::Base64Encoder;

namespace {

// The codec as it was before the streaming one replaced it: one character at a time, plainly.
// The streaming codec must produce exactly what it produced.
std::string referenceEncode(const std::string& bytes, std::size_t lineLength) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t column = 0;
    const auto put = [&](char c) {
        if (lineLength != 0 && column == lineLength) {
            out += "\r\n";
            column = 0;
        }
        out += c;
        ++column;
    };
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        const std::size_t rest = std::min<std::size_t>(3, bytes.size() - i);
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest > 1) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        if (rest > 2) {
            n |= static_cast<unsigned char>(bytes[i + 2]);
        }
        put(alphabet[(n >> 18) & 63]);
        put(alphabet[(n >> 12) & 63]);
        put(rest > 1 ? alphabet[(n >> 6) & 63] : '=');
        put(rest > 2 ? alphabet[n & 63] : '=');
    }
    return out;
}

std::string pseudoRandomBytes(std::size_t size, std::uint32_t seed) {
    std::string bytes(size, '\0');
    for (auto& c : bytes) {
        seed = seed * 1664525U + 1013904223U;
        c = static_cast<char>(seed >> 24);
    }
    return bytes;
}

std::string encodeInChunks(const std::string& bytes, std::size_t chunk, std::size_t lineLength) {
    Base64Encoder encoder(lineLength);
    std::string out;
    for (std::size_t at = 0; at < bytes.size(); at += chunk) {
        encoder.update(std::string_view(bytes).substr(at, chunk), out);
    }
    encoder.finish(out);
    return out;
}

gp::Result<std::string> decodeInChunks(const std::string& text, std::size_t chunk) {
    Base64Decoder decoder;
    std::string out;
    for (std::size_t at = 0; at < text.size(); at += chunk) {
        if (auto decoded = decoder.update(std::string_view(text).substr(at, chunk), out);
            !decoded) {
            return decoded.error();
        }
    }
    if (auto finished = decoder.finish(); !finished) {
        return finished.error();
    }
    return out;
}

const std::vector<std::size_t> kChunkSizes = {1, 2, 3, 4, 5, 56, 57, 58, 76, 77, 1000, 65536};

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("streaming base64 encodes as the plain codec did, whatever the chunk boundaries") {
        for (const std::size_t lineLength :
             {std::size_t{76}, std::size_t{0}, std::size_t{4}, std::size_t{1}, std::size_t{7}}) {
            for (const std::size_t size : {0, 1, 2, 3, 4, 56, 57, 58, 114, 1000, 100003}) {
                const std::string bytes =
                    pseudoRandomBytes(size, static_cast<std::uint32_t>(size + lineLength));
                const std::string expected = referenceEncode(bytes, lineLength);
                CAPTURE(lineLength);
                CAPTURE(size);
                CHECK(base64Encode(bytes, lineLength) == expected);
                CHECK(Base64Encoder::encodedSize(size, lineLength) == expected.size());
                for (const std::size_t chunk : kChunkSizes) {
                    CAPTURE(chunk);
                    CHECK(encodeInChunks(bytes, chunk, lineLength) == expected);
                }
            }
        }
    }

    TEST_CASE("streaming base64 decodes in any chunks back to the original bytes") {
        for (const std::size_t size : {0, 1, 2, 3, 57, 58, 1000, 100003}) {
            const std::string bytes = pseudoRandomBytes(size, static_cast<std::uint32_t>(size));
            const std::string text = referenceEncode(bytes, 76);
            CAPTURE(size);
            auto whole = base64Decode(text);
            REQUIRE(whole.ok());
            CHECK(*whole == bytes);
            for (const std::size_t chunk : kChunkSizes) {
                CAPTURE(chunk);
                auto decoded = decodeInChunks(text, chunk);
                REQUIRE(decoded.ok());
                CHECK(*decoded == bytes);
            }
        }
    }

    TEST_CASE("streaming base64 reports errors at the offset in the whole text") {
        struct Case {
            std::string text;
            std::string where;
            std::string message;
        };
        const std::vector<Case> cases = {
            {"Zm9vYmFy\r\nZm9v!mFy", "byte 14", "invalid base64 character 0x21"},
            {"Zm9vYmFyZg==Zg==", "byte 12", "base64 data after padding"},
            {"Zm9vYmFyZg===", "byte 12", "too much base64 padding"},
            {"Zm9vYmFyZm9vY", "byte 13", "truncated base64 data"},
            {"Zm9vYmFyZm=", "byte 11", "truncated base64 data"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.text);
            auto whole = base64Decode(c.text);
            REQUIRE_FALSE(whole.ok());
            CHECK(whole.error().where == c.where);
            CHECK(whole.error().message == c.message);
            for (const std::size_t chunk : kChunkSizes) {
                CAPTURE(chunk);
                auto split = decodeInChunks(c.text, chunk);
                REQUIRE_FALSE(split.ok());
                CHECK(split.error().where == c.where);
                CHECK(split.error().message == c.message);
            }
        }
    }

    TEST_CASE("a finished base64 codec starts afresh") {
        Base64Encoder encoder;
        std::string out;
        encoder.update("f", out);
        encoder.finish(out);
        encoder.update("foo", out);
        encoder.finish(out);
        CHECK(out == "Zg==Zm9v");

        Base64Decoder decoder;
        std::string bytes;
        REQUIRE(decoder.update("Zg==", bytes).ok());
        REQUIRE(decoder.finish().ok());
        REQUIRE(decoder.update("Zm9v", bytes).ok());
        REQUIRE(decoder.finish().ok());
        CHECK(bytes == "ffoo");
    }

} // TEST_SUITE
