#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gp::messaging::mime {

/// Base64 in pieces: a body of any size is encoded chunk by chunk into a fixed-size buffer, with
/// the same output as base64Encode of the whole (lines wrapped with CRLF, no break after the
/// last line), whatever the chunk boundaries.
class Base64Encoder {
public:
    explicit Base64Encoder(std::size_t lineLength = 76) : m_lineLength(lineLength) {}

    /// Appends the encoding of `bytes` to `out`; up to two bytes wait for the next call.
    void update(std::string_view bytes, std::string& out);
    /// Appends the last (padded) group. The encoder can then be used for a new body.
    void finish(std::string& out);

    /// The encoded size of `bytes` input bytes, line breaks included.
    static std::uint64_t encodedSize(std::uint64_t bytes, std::size_t lineLength = 76);

private:
    char* putGroup(char* at, std::uint32_t group);
    char* putSymbols(char* at, const char (&symbols)[4]);
    std::size_t groupRoom() const;

    std::size_t m_lineLength;
    std::size_t m_column = 0;
    unsigned char m_carry[2] = {0, 0};
    std::size_t m_carried = 0;
};

/// The reverse, in pieces, with base64Decode's rules and error texts: line breaks and spaces are
/// ignored, offsets in errors count from the start of the whole text.
class Base64Decoder {
public:
    /// Appends the decoded bytes of `text` to `out`.
    Status update(std::string_view text, std::string& out);
    /// Checks that the text ended on a whole group. The decoder can then be used again.
    Status finish();

private:
    std::uint64_t m_offset = 0; // characters consumed so far, for error offsets
    std::uint32_t m_accumulator = 0;
    int m_bits = 0;
    std::uint64_t m_symbols = 0; // alphabet characters and padding, for the length check
    int m_padding = 0;
};

} // namespace gp::messaging::mime
