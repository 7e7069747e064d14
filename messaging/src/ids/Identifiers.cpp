#include <gp/messaging/ids/Identifiers.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>

namespace gp::messaging::ids {

namespace {

constexpr std::string_view kUpperHex = "0123456789ABCDEF";
constexpr std::string_view kCheckAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ+";

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}
bool isUpperHex(char c) {
    return isDigit(c) || (c >= 'A' && c <= 'F');
}
bool isUpperAlnum(char c) {
    return isDigit(c) || (c >= 'A' && c <= 'Z');
}

int base36(char c) {
    if (isDigit(c)) {
        return c - '0';
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    throw std::invalid_argument(std::string("prescription ID character outside 0-9 and A-Z: '") +
                                c + "'");
}

// `count` hex digits, each from its own four bits of the random stream.
std::string randomHex(RandomSource& random, std::size_t count) {
    std::string out;
    out.reserve(count);
    std::uint64_t bits = 0;
    int bitsLeft = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (bitsLeft < 4) {
            bits = random.nextU64();
            bitsLeft = 64;
        }
        out += kUpperHex[bits & 0xF];
        bits >>= 4;
        bitsLeft -= 4;
    }
    return out;
}

} // namespace

Status checkNhsNumber(std::string_view nhsNumber) {
    if (nhsNumber.size() != 10) {
        return failure("", "must be 10 digits");
    }
    for (char c : nhsNumber) {
        if (!isDigit(c)) {
            return failure("", "must be 10 digits");
        }
    }
    int sum = 0;
    for (int i = 0; i < 9; ++i) {
        sum += (nhsNumber[static_cast<std::size_t>(i)] - '0') * (10 - i);
    }
    int expected = 11 - sum % 11;
    if (expected == 11) {
        expected = 0;
    }
    if (expected == 10) {
        return failure("", "check digit would be 10, so no number has it");
    }
    const int actual = nhsNumber[9] - '0';
    if (actual != expected) {
        return failure("", "check digit is " + std::to_string(actual) + ", expected " +
                               std::to_string(expected));
    }
    return success();
}

std::string newUuid(RandomSource& random) {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t half = 0; half < 2; ++half) {
        std::uint64_t word = random.nextU64();
        for (std::size_t i = 0; i < 8; ++i) {
            bytes[half * 8 + i] = static_cast<std::uint8_t>(word >> (56 - 8 * i));
        }
    }
    // RFC 4122: version 4 (random) and the 10xx variant.
    bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);
    bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);

    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kUpperHex[bytes[i] >> 4];
        out += kUpperHex[bytes[i] & 0x0F];
    }
    return out;
}

bool isUpperCaseUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool hyphenPlace = i == 8 || i == 13 || i == 18 || i == 23;
        if (hyphenPlace ? text[i] != '-' : !isUpperHex(text[i])) {
            return false;
        }
    }
    return true;
}

Status checkOdsCode(std::string_view odsCode) {
    if (odsCode.size() < 3 || odsCode.size() > 10) {
        return failure("", "must be 3 to 10 characters");
    }
    for (char c : odsCode) {
        if (!isUpperAlnum(c)) {
            return failure("", "must be upper-case letters and digits only");
        }
    }
    return success();
}

char prescriptionCheckCharacter(std::string_view idWithoutCheck) {
    int total = 0;
    for (char c : idWithoutCheck) {
        if (c == '-') {
            continue;
        }
        total = ((total + base36(c)) * 2) % 37;
    }
    return kCheckAlphabet[static_cast<std::size_t>((38 - total) % 37)];
}

Status checkPrescriptionId(std::string_view prescriptionId) {
    // ^[A-F0-9]{6}-[A-Z0-9]{6}-[A-F0-9]{5}[A-Z0-9+]$
    bool matches = prescriptionId.size() == 20;
    for (std::size_t i = 0; matches && i < prescriptionId.size(); ++i) {
        const char c = prescriptionId[i];
        if (i == 6 || i == 13) {
            matches = c == '-';
        } else if (i < 6 || (i > 13 && i < 19)) {
            matches = isUpperHex(c);
        } else if (i < 13) {
            matches = isUpperAlnum(c);
        } else {
            matches = isUpperAlnum(c) || c == '+';
        }
    }
    if (!matches) {
        return failure("", "must look like 24F5DA-A83008-7EFE6Z "
                           "(6 hex, 6 letters or digits, 5 hex, check character)");
    }
    const char expected = prescriptionCheckCharacter(prescriptionId.substr(0, 19));
    if (prescriptionId[19] != expected) {
        return failure("", std::string("check character is ") + prescriptionId[19] + ", expected " +
                               expected);
    }
    return success();
}

std::string newPrescriptionId(std::string_view prescriberOds, RandomSource& random) {
    // The middle block is exactly six characters; practice codes are at most six.
    if (prescriberOds.empty() || prescriberOds.size() > 6) {
        throw std::invalid_argument("prescriber ODS code must be 1 to 6 characters to form a "
                                    "prescription ID");
    }
    std::string id = randomHex(random, 6);
    id += '-';
    id.append(6 - prescriberOds.size(), '0');
    id += prescriberOds;
    id += '-';
    id += randomHex(random, 5);
    id += prescriptionCheckCharacter(id);
    return id;
}

} // namespace gp::messaging::ids
