#include <gp/mock/SpineRules.hpp>

#include <string>

namespace gp::mock::rules {

namespace {

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
    return -1;
}

} // namespace

Status checkNhsNumber(std::string_view nhsNumber) {
    if (nhsNumber.size() != 10) {
        return failure("nhsNumber", "must be 10 digits");
    }
    int sum = 0;
    for (std::size_t i = 0; i < nhsNumber.size(); ++i) {
        if (!isDigit(nhsNumber[i])) {
            return failure("nhsNumber", "must be 10 digits");
        }
        if (i < 9) {
            sum += (nhsNumber[i] - '0') * static_cast<int>(10 - i);
        }
    }
    int check = 11 - sum % 11;
    if (check == 11) {
        check = 0;
    }
    if (check == 10) {
        return failure("nhsNumber", "no valid check digit exists for these nine digits");
    }
    if (nhsNumber[9] - '0' != check) {
        return failure("nhsNumber", "check digit is " + std::string(1, nhsNumber[9]) +
                                        ", expected " + std::to_string(check));
    }
    return success();
}

bool hasPrescriptionIdShape(std::string_view id) {
    if (id.size() != 20 || id[6] != '-' || id[13] != '-') {
        return false;
    }
    for (std::size_t i = 0; i < 20; ++i) {
        const char c = id[i];
        if (i == 6 || i == 13) {
            continue;
        }
        if (i < 6 || (i >= 14 && i < 19)) {
            if (!isUpperHex(c)) {
                return false;
            }
        } else if (i < 13) {
            if (!isUpperAlnum(c)) {
                return false;
            }
        } else if (!isUpperAlnum(c) && c != '+') {
            return false;
        }
    }
    return true;
}

char prescriptionCheckCharacter(std::string_view id) {
    if (id.empty()) {
        return '?';
    }
    int total = 0;
    for (char c : id.substr(0, id.size() - 1)) {
        if (c == '-') {
            continue;
        }
        const int value = base36(c);
        if (value < 0) {
            return '?';
        }
        total = ((total + value) * 2) % 37;
    }
    return kCheckAlphabet[static_cast<std::size_t>((38 - total) % 37)];
}

Status checkPrescriptionId(std::string_view prescriptionId) {
    if (!hasPrescriptionIdShape(prescriptionId)) {
        return failure("prescriptionId", "has invalid format");
    }
    const char expected = prescriptionCheckCharacter(prescriptionId);
    if (prescriptionId.back() != expected) {
        return failure("prescriptionId", "has invalid check character");
    }
    return success();
}

bool isUpperCaseUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !isUpperHex(text[i])) {
            return false;
        }
    }
    return true;
}

} // namespace gp::mock::rules
