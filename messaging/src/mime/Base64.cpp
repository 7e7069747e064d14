#include <gp/messaging/mime/Multipart.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

namespace gp::messaging::mime {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> makeDecodeTable() {
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table) {
        entry = -1;
    }
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}

constexpr auto kDecodeTable = makeDecodeTable();

bool isIgnorable(char c) {
    return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

std::string describeByte(unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(c));
    return buffer;
}

} // namespace

std::string base64Encode(std::string_view bytes, std::size_t lineLength) {
    std::string out;
    const std::size_t encodedSize = (bytes.size() + 2) / 3 * 4;
    out.reserve(encodedSize + (lineLength == 0 ? 0 : encodedSize / lineLength * 2));
    std::size_t column = 0;
    auto put = [&](char c) {
        if (lineLength != 0 && column == lineLength) {
            out += "\r\n";
            column = 0;
        }
        out += c;
        ++column;
    };
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t n =
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
        put(kAlphabet[(n >> 18) & 63]);
        put(kAlphabet[(n >> 12) & 63]);
        put(kAlphabet[(n >> 6) & 63]);
        put(kAlphabet[n & 63]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) {
            n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
        }
        put(kAlphabet[(n >> 18) & 63]);
        put(kAlphabet[(n >> 12) & 63]);
        put(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
        put('=');
    }
    return out;
}

Result<std::string> base64Decode(std::string_view text) {
    std::string out;
    out.reserve(text.size() / 4 * 3);
    std::uint32_t accumulator = 0;
    int bits = 0;
    std::size_t symbols = 0; // alphabet characters and padding seen, for the length check
    std::size_t padding = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (isIgnorable(c)) {
            continue;
        }
        if (c == '=') {
            ++padding;
            ++symbols;
            if (padding > 2) {
                return Error{"byte " + std::to_string(i), "too much base64 padding"};
            }
            continue;
        }
        const std::int8_t value = kDecodeTable[static_cast<unsigned char>(c)];
        if (value < 0) {
            return Error{"byte " + std::to_string(i),
                         "invalid base64 character " + describeByte(static_cast<unsigned char>(c))};
        }
        if (padding > 0) {
            return Error{"byte " + std::to_string(i), "base64 data after padding"};
        }
        ++symbols;
        accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((accumulator >> bits) & 0xFF);
        }
    }
    if (symbols % 4 == 1 || (padding > 0 && symbols % 4 != 0)) {
        return Error{"byte " + std::to_string(text.size()), "truncated base64 data"};
    }
    return out;
}

} // namespace gp::messaging::mime
