#include <gp/messaging/mime/Base64Stream.hpp>

#include <array>
#include <cstdio>

namespace gp::messaging::mime {

namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Decode table values: 0..63 alphabet, kSkip for line breaks and spaces, kPad for '=', kBad.
constexpr std::uint8_t kSkip = 0x40;
constexpr std::uint8_t kPad = 0x41;
constexpr std::uint8_t kBad = 0xFF;

constexpr std::array<std::uint8_t, 256> makeDecodeTable() {
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table) {
        entry = kBad;
    }
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::uint8_t>(i);
    }
    for (const char c : {'\r', '\n', ' ', '\t'}) {
        table[static_cast<unsigned char>(c)] = kSkip;
    }
    table['='] = kPad;
    return table;
}

constexpr auto kDecodeTable = makeDecodeTable();

Error decodeError(std::uint64_t offset, const std::string& message) {
    return Error{"byte " + std::to_string(offset), message};
}

std::string describeByte(unsigned char c) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02X", static_cast<unsigned>(c));
    return buffer;
}

} // namespace

std::uint64_t Base64Encoder::encodedSize(std::uint64_t bytes, std::size_t lineLength) {
    const std::uint64_t characters = (bytes + 2) / 3 * 4;
    if (lineLength == 0 || characters == 0) {
        return characters;
    }
    return characters + (characters - 1) / lineLength * 2;
}

std::size_t Base64Encoder::groupRoom() const {
    // Four symbols and, at worst, a line break before each that starts a line.
    return 4 + (m_lineLength == 0 ? 0 : 2 * ((4 + m_lineLength - 1) / m_lineLength));
}

char* Base64Encoder::putGroup(char* at, std::uint32_t group) {
    const char symbols[4] = {kAlphabet[(group >> 18) & 63], kAlphabet[(group >> 12) & 63],
                             kAlphabet[(group >> 6) & 63], kAlphabet[group & 63]};
    return putSymbols(at, symbols);
}

char* Base64Encoder::putSymbols(char* at, const char (&symbols)[4]) {
    if (m_lineLength == 0 || m_column + 4 <= m_lineLength) {
        // The common case: the whole group fits on the current line.
        at[0] = symbols[0];
        at[1] = symbols[1];
        at[2] = symbols[2];
        at[3] = symbols[3];
        m_column += 4;
        return at + 4;
    }
    for (const char symbol : symbols) {
        if (m_column == m_lineLength) {
            *at++ = '\r';
            *at++ = '\n';
            m_column = 0;
        }
        *at++ = symbol;
        ++m_column;
    }
    return at;
}

void Base64Encoder::update(std::string_view bytes, std::string& out) {
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t left = bytes.size();
    if (m_carried + left < 3) {
        for (std::size_t i = 0; i < left; ++i) {
            m_carry[m_carried++] = in[i];
        }
        return;
    }
    const std::size_t groups = (m_carried + left) / 3;
    // Room for every group and, at worst, a line break before each.
    const std::size_t start = out.size();
    out.resize(start + groups * groupRoom());
    char* at = out.data() + start;
    if (m_carried > 0) {
        unsigned char group[3] = {m_carry[0], m_carry[1], 0};
        const std::size_t take = 3 - m_carried;
        for (std::size_t i = 0; i < take; ++i) {
            group[m_carried + i] = in[i];
        }
        in += take;
        left -= take;
        m_carried = 0;
        at = putGroup(at, static_cast<std::uint32_t>(group[0]) << 16 |
                              static_cast<std::uint32_t>(group[1]) << 8 | group[2]);
    }
    for (; left >= 3; in += 3, left -= 3) {
        at = putGroup(at, static_cast<std::uint32_t>(in[0]) << 16 |
                              static_cast<std::uint32_t>(in[1]) << 8 | in[2]);
    }
    for (std::size_t i = 0; i < left; ++i) {
        m_carry[m_carried++] = in[i];
    }
    out.resize(static_cast<std::size_t>(at - out.data()));
}

void Base64Encoder::finish(std::string& out) {
    if (m_carried > 0) {
        const std::uint32_t group =
            static_cast<std::uint32_t>(m_carry[0]) << 16 |
            (m_carried == 2 ? static_cast<std::uint32_t>(m_carry[1]) << 8 : 0U);
        // The last one or two symbols of a short group are padding.
        const char symbols[4] = {kAlphabet[(group >> 18) & 63], kAlphabet[(group >> 12) & 63],
                                 m_carried == 2 ? kAlphabet[(group >> 6) & 63] : '=', '='};
        const std::size_t start = out.size();
        out.resize(start + groupRoom());
        char* end = putSymbols(out.data() + start, symbols);
        out.resize(static_cast<std::size_t>(end - out.data()));
    }
    m_column = 0;
    m_carried = 0;
}

Status Base64Decoder::update(std::string_view text, std::string& out) {
    const auto* in = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    const std::size_t start = out.size();
    out.resize(start + size / 4 * 3 + 3);
    auto* at = reinterpret_cast<unsigned char*>(out.data() + start);
    std::size_t i = 0;
    while (i < size) {
        // Fast path: four alphabet characters on a group boundary make three bytes at once.
        if (m_bits == 0 && m_padding == 0 && i + 4 <= size) {
            const std::uint32_t a = kDecodeTable[in[i]];
            const std::uint32_t b = kDecodeTable[in[i + 1]];
            const std::uint32_t c = kDecodeTable[in[i + 2]];
            const std::uint32_t d = kDecodeTable[in[i + 3]];
            if ((a | b | c | d) < 64) {
                const std::uint32_t group = a << 18 | b << 12 | c << 6 | d;
                at[0] = static_cast<unsigned char>(group >> 16);
                at[1] = static_cast<unsigned char>(group >> 8);
                at[2] = static_cast<unsigned char>(group);
                at += 3;
                m_symbols += 4;
                i += 4;
                continue;
            }
        }
        const unsigned char c = in[i];
        const std::uint8_t value = kDecodeTable[c];
        if (value == kSkip) {
            ++i;
            continue;
        }
        if (value == kPad) {
            ++m_padding;
            ++m_symbols;
            if (m_padding > 2) {
                out.resize(start);
                return decodeError(m_offset + i, "too much base64 padding");
            }
            ++i;
            continue;
        }
        if (value == kBad) {
            out.resize(start);
            return decodeError(m_offset + i, "invalid base64 character " + describeByte(c));
        }
        if (m_padding > 0) {
            out.resize(start);
            return decodeError(m_offset + i, "base64 data after padding");
        }
        ++m_symbols;
        m_accumulator = (m_accumulator << 6) | value;
        m_bits += 6;
        if (m_bits >= 8) {
            m_bits -= 8;
            *at++ = static_cast<unsigned char>((m_accumulator >> m_bits) & 0xFF);
        }
        ++i;
    }
    m_offset += size;
    out.resize(static_cast<std::size_t>(reinterpret_cast<char*>(at) - out.data()));
    return success();
}

Status Base64Decoder::finish() {
    const bool truncated = m_symbols % 4 == 1 || (m_padding > 0 && m_symbols % 4 != 0);
    const std::uint64_t end = m_offset;
    *this = Base64Decoder{};
    if (truncated) {
        return decodeError(end, "truncated base64 data");
    }
    return success();
}

} // namespace gp::messaging::mime
