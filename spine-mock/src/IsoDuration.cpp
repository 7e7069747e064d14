#include <gp/mock/IsoDuration.hpp>

#include <cstdint>

namespace gp::mock {

namespace {

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

Result<IsoDuration> parseIsoDuration(std::string_view text, const std::string& where) {
    const auto invalid = [&] {
        return failure(where, "must be an ISO 8601 duration such as PT1M or PT4H10M, not '" +
                                  std::string(text) + "'");
    };
    if (text.size() < 3 || text.front() != 'P') {
        return invalid();
    }
    // Each designator may appear once and in order: D before T, then H, M, S.
    constexpr std::string_view kOrder = "DHMS";
    std::size_t lastDesignator = 0;
    bool inTime = false;
    bool anyNumber = false;
    std::int64_t millis = 0;
    std::size_t i = 1;
    while (i < text.size()) {
        if (text[i] == 'T') {
            if (inTime || i + 1 == text.size()) {
                return invalid();
            }
            inTime = true;
            lastDesignator = 1;
            ++i;
            continue;
        }
        std::int64_t whole = 0;
        std::size_t digits = 0;
        while (i < text.size() && isDigit(text[i])) {
            if (++digits > 9) {
                return invalid(); // keeps the arithmetic far from overflow
            }
            whole = whole * 10 + (text[i] - '0');
            ++i;
        }
        std::int64_t fraction = 0;
        bool hasFraction = false;
        if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
            hasFraction = true;
            ++i;
            std::size_t places = 0;
            while (i < text.size() && isDigit(text[i])) {
                if (++places > 3) {
                    return invalid();
                }
                fraction = fraction * 10 + (text[i] - '0');
                ++i;
            }
            if (places == 0) {
                return invalid();
            }
            for (; places < 3; ++places) {
                fraction *= 10;
            }
        }
        if (digits == 0 || i == text.size()) {
            return invalid();
        }
        const char designator = text[i++];
        const auto position = kOrder.find(designator);
        if (position == std::string_view::npos || position < lastDesignator ||
            (position == 0) == inTime || (hasFraction && designator != 'S')) {
            return invalid();
        }
        lastDesignator = position + 1;
        anyNumber = true;
        switch (designator) {
        case 'D':
            millis += whole * 86'400'000;
            break;
        case 'H':
            millis += whole * 3'600'000;
            break;
        case 'M':
            millis += whole * 60'000;
            break;
        default:
            millis += whole * 1000 + fraction;
            break;
        }
    }
    if (!anyNumber) {
        return invalid();
    }
    return IsoDuration{std::string(text), std::chrono::milliseconds(millis)};
}

} // namespace gp::mock
