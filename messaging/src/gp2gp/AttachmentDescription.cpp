#include <gp/messaging/gp2gp/AttachmentDescription.hpp>

#include <limits>
#include <map>

// Quoting rule, shared by format and parse: Filename and DomainData are always written in double
// quotes; inside quotes a '"' is written \" and a '\' is written \\. On reading, \" and \\ are
// unescaped and any other backslash is kept as it is, so a foreign system's unescaped
// "C:\scans\x.pdf" survives. Control characters (CR, LF, tab) in a value are written as spaces,
// because the description also travels in a one-line MIME Content-Description header. Other
// values are written bare unless they contain a space, a quote or a backslash, or are empty.
// Unknown keys are ignored on reading, so that a supplier adding one does not fail a transfer.

namespace gp::messaging::gp2gp {

namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string quoted(std::string_view value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += ' ';
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

std::string bareOrQuoted(std::string_view value) {
    if (value.empty()) {
        return quoted(value);
    }
    for (char c : value) {
        if (isSpace(c) || c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
            return quoted(value);
        }
    }
    return std::string(value);
}

std::string_view yesNo(bool value) {
    return value ? "Yes" : "No";
}

// A value for an error message: short enough to read, never a whole document.
std::string shown(std::string_view value) {
    constexpr std::size_t kMax = 60;
    return value.size() <= kMax ? std::string(value) : std::string(value.substr(0, kMax)) + "...";
}

Result<bool> readYesNo(const std::string& key, const std::string& value) {
    if (value == "Yes") {
        return true;
    }
    if (value == "No") {
        return false;
    }
    return Error{key, "must be Yes or No, not '" + shown(value) + "'"};
}

Result<std::uint64_t> readLength(const std::string& value) {
    const Error bad{"Length", "must be a whole number of bytes, not '" + shown(value) + "'"};
    if (value.empty()) {
        return bad;
    }
    std::uint64_t n = 0;
    for (char c : value) {
        if (c < '0' || c > '9') {
            return bad;
        }
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return bad;
        }
        n = n * 10 + digit;
    }
    return n;
}

// Splits the text into Key=value pairs; a value is bare (up to whitespace) or quoted.
Result<std::map<std::string, std::string>> tokenize(std::string_view text) {
    std::map<std::string, std::string> pairs;
    std::size_t i = 0;
    while (true) {
        while (i < text.size() && isSpace(text[i])) {
            ++i;
        }
        if (i == text.size()) {
            break;
        }
        const std::size_t start = i;
        while (i < text.size() && text[i] != '=' && !isSpace(text[i])) {
            ++i;
        }
        if (i == text.size() || text[i] != '=' || i == start) {
            std::size_t end = start;
            while (end < text.size() && !isSpace(text[end])) {
                ++end;
            }
            return Error{shown(text.substr(start, end - start)), "is not a Key=value pair"};
        }
        std::string key(text.substr(start, i - start));
        ++i; // '='
        std::string value;
        if (i < text.size() && text[i] == '"') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                const char c = text[i];
                if (c == '\\' && i + 1 < text.size() &&
                    (text[i + 1] == '"' || text[i + 1] == '\\')) {
                    value += text[i + 1];
                    i += 2;
                } else if (c == '"') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    value += c;
                    ++i;
                }
            }
            if (!closed) {
                return Error{key, "has no closing quote"};
            }
            if (i < text.size() && !isSpace(text[i])) {
                return Error{key, "closing quote must be followed by a space"};
            }
        } else {
            while (i < text.size() && !isSpace(text[i])) {
                if (text[i] == '"') {
                    return Error{key, "has a quote inside a bare value"};
                }
                value += text[i];
                ++i;
            }
        }
        if (pairs.count(key) != 0) {
            return Error{key, "appears twice"};
        }
        pairs.emplace(std::move(key), std::move(value));
    }
    return pairs;
}

} // namespace

std::string formatAttachmentDescription(const AttachmentDescription& d) {
    std::string out = "Filename=" + quoted(d.filename);
    out += " ContentType=" + bareOrQuoted(d.contentType);
    out += " Compressed=";
    out += yesNo(d.compressed);
    out += " LargeAttachment=";
    out += yesNo(d.largeAttachment);
    out += " OriginalBase64=";
    out += yesNo(d.originalBase64);
    if (d.length) {
        out += " Length=" + std::to_string(*d.length);
    }
    if (d.domainData) {
        out += " DomainData=" + quoted(*d.domainData);
    }
    return out;
}

Result<AttachmentDescription> parseAttachmentDescription(std::string_view text) {
    auto tokens = tokenize(text);
    if (!tokens) {
        return tokens.error();
    }
    const auto& pairs = *tokens;
    auto required = [&](const char* key) -> Result<std::string> {
        const auto it = pairs.find(key);
        if (it == pairs.end()) {
            return Error{key, "is missing"};
        }
        return it->second;
    };

    AttachmentDescription d;
    auto filename = required("Filename");
    if (!filename) {
        return filename.error();
    }
    if (filename->empty()) {
        return Error{"Filename", "must not be empty"};
    }
    d.filename = std::move(filename).value();

    auto contentType = required("ContentType");
    if (!contentType) {
        return contentType.error();
    }
    if (contentType->empty()) {
        return Error{"ContentType", "must not be empty"};
    }
    d.contentType = std::move(contentType).value();

    struct Flag {
        const char* key;
        bool* target;
    };
    for (const Flag& flag :
         {Flag{"Compressed", &d.compressed}, Flag{"LargeAttachment", &d.largeAttachment},
          Flag{"OriginalBase64", &d.originalBase64}}) {
        auto flagText = required(flag.key);
        if (!flagText) {
            return flagText.error();
        }
        auto value = readYesNo(flag.key, *flagText);
        if (!value) {
            return value.error();
        }
        *flag.target = *value;
    }

    if (const auto it = pairs.find("Length"); it != pairs.end()) {
        auto length = readLength(it->second);
        if (!length) {
            return length.error();
        }
        d.length = *length;
    }
    if (const auto it = pairs.find("DomainData"); it != pairs.end()) {
        d.domainData = it->second;
    }
    return d;
}

} // namespace gp::messaging::gp2gp
