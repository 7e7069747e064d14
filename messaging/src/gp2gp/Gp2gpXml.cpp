#include "Gp2gpXml.hpp"

#include <Poco/MD5Engine.h>

#include <algorithm>

namespace gp::messaging::gp2gp::detail {

namespace {

bool digits(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view text) {
    int n = 0;
    for (char c : text) {
        n = n * 10 + (c - '0');
    }
    return n;
}

} // namespace

std::optional<std::chrono::sys_seconds> parseHl7Time(std::string_view value) {
    using namespace std::chrono;
    if (value.size() < 8 || !digits(value.substr(0, 8))) {
        return std::nullopt;
    }
    const year_month_day date{year{number(value.substr(0, 4))},
                              month{static_cast<unsigned>(number(value.substr(4, 2)))},
                              day{static_cast<unsigned>(number(value.substr(6, 2)))}};
    if (!date.ok()) {
        return std::nullopt;
    }
    int parts[3] = {0, 0, 0};
    constexpr int kLimits[3] = {23, 59, 60};
    for (std::size_t i = 0; i < 3; ++i) {
        const std::size_t at = 8 + 2 * i;
        if (value.size() < at + 2 || !digits(value.substr(at, 2))) {
            break;
        }
        parts[i] = number(value.substr(at, 2));
        if (parts[i] > kLimits[i]) {
            return std::nullopt;
        }
    }
    return sys_days{date} + hours{parts[0]} + minutes{parts[1]} + seconds{parts[2]};
}

std::string derivedUuid(std::string_view name) {
    Poco::MD5Engine md5;
    md5.update(std::string("gp-agent/gp2gp/") + std::string(name));
    Poco::DigestEngine::Digest digest = md5.digest();
    // RFC 4122 name-based (version 3) layout.
    digest[6] = static_cast<unsigned char>((digest[6] & 0x0F) | 0x30);
    digest[8] = static_cast<unsigned char>((digest[8] & 0x3F) | 0x80);
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[digest[i] >> 4];
        out += kHex[digest[i] & 0x0F];
    }
    return out;
}

const xml::Namespaces& gp2gpNamespaces() {
    static const xml::Namespaces namespaces = [] {
        xml::Namespaces ns = xml::spineNamespaces();
        ns.emplace("gp", std::string(kGp2gpNamespace));
        return ns;
    }();
    return namespaces;
}

Result<xml::Document> parseDocument(std::string_view text) {
    xml::ParseLimits limits;
    limits.maxBytes = std::max(limits.maxBytes, text.size());
    return xml::parse(text, limits);
}

Status expectRoot(const xml::Document& doc, std::string_view expected) {
    const std::string name = doc.rootName();
    if (name != expected || doc.rootNamespace() != "urn:hl7-org:v3") {
        return failure("root element",
                       "must be " + std::string(expected) + " in urn:hl7-org:v3, not " + name);
    }
    return success();
}

} // namespace gp::messaging::gp2gp::detail
