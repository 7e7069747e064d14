#pragma once

// How the fuzz targets whose parser takes a header and a body read libFuzzer's bytes: the first
// line (up to the first '\n', without it) is the Content-Type header value, the rest is the body.
// The seed corpus (tests/fuzz/make-corpus.sh) writes its files the same way.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace gp::fuzz {

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

struct HeaderAndBody {
    std::string_view header;
    std::string_view body;
};

inline HeaderAndBody splitFirstLine(std::string_view text) {
    const auto newline = text.find('\n');
    if (newline == std::string_view::npos) {
        return {text, {}};
    }
    return {text.substr(0, newline), text.substr(newline + 1)};
}

} // namespace gp::fuzz
