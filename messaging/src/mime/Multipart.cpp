#include <gp/messaging/mime/Multipart.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

namespace gp::messaging::mime {

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

std::string toLower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), lower);
    return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                              [](char x, char y) { return lower(x) == lower(y); });
}

bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && isSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string stripAngles(std::string_view text) {
    text = trim(text);
    if (text.size() >= 2 && text.front() == '<' && text.back() == '>') {
        text = text.substr(1, text.size() - 2);
    }
    return std::string(text);
}

// Splits on ';' outside double quotes. Returns false on an unterminated quote.
bool splitParameters(std::string_view value, std::vector<std::string_view>& out) {
    bool quoted = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (quoted && c == '\\') {
            ++i;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == ';' && !quoted) {
            out.push_back(value.substr(start, i - start));
            start = i + 1;
        }
    }
    if (quoted) {
        return false;
    }
    out.push_back(value.substr(start));
    return true;
}

std::string unquote(std::string_view value) {
    value = trim(value);
    if (value.size() < 2 || value.front() != '"' || value.back() != '"') {
        return std::string(value);
    }
    std::string out;
    for (std::size_t i = 1; i + 1 < value.size(); ++i) {
        if (value[i] == '\\' && i + 2 < value.size()) {
            ++i;
        }
        out += value[i];
    }
    return out;
}

// A delimiter line is "--boundary" at the start of a line, followed by "--" (the close), or by
// optional transport padding and a line end. Anything else that merely contains the boundary text
// is body content.
struct Delimiter {
    std::size_t at = 0;         // offset of the leading "--"
    std::size_t contentEnd = 0; // where the previous part's content ends (before the line break)
    std::size_t next = 0;       // first byte after the delimiter line
    bool closing = false;
};

std::optional<Delimiter> findDelimiter(std::string_view body, std::string_view marker,
                                       std::size_t from) {
    std::size_t at = from;
    while ((at = body.find(marker, at)) != std::string_view::npos) {
        const bool lineStart = at == 0 || body[at - 1] == '\n';
        std::size_t after = at + marker.size();
        if (lineStart) {
            Delimiter delimiter;
            delimiter.at = at;
            delimiter.contentEnd = at;
            if (at > 0 && body[at - 1] == '\n') {
                delimiter.contentEnd = at - 1;
                if (delimiter.contentEnd > 0 && body[delimiter.contentEnd - 1] == '\r') {
                    --delimiter.contentEnd;
                }
            }
            if (body.substr(after, 2) == "--") {
                delimiter.closing = true;
                delimiter.next = after + 2;
                return delimiter;
            }
            std::size_t p = after;
            while (p < body.size() && (body[p] == ' ' || body[p] == '\t')) {
                ++p;
            }
            if (p < body.size() && body[p] == '\n') {
                delimiter.next = p + 1;
                return delimiter;
            }
            if (p + 1 < body.size() && body[p] == '\r' && body[p + 1] == '\n') {
                delimiter.next = p + 2;
                return delimiter;
            }
        }
        at += 1;
    }
    return std::nullopt;
}

std::string partName(std::size_t index) {
    return "part " + std::to_string(index);
}

Result<Part> parsePart(std::string_view body, std::size_t begin, std::size_t end,
                       std::size_t index) {
    Part part;
    part.contentType = "text/plain";
    part.transferEncoding = "7bit";
    std::vector<Header> headers;
    std::size_t pos = begin;
    bool sawBlankLine = false;
    while (pos < end) {
        std::size_t lineEnd = body.find('\n', pos);
        if (lineEnd == std::string_view::npos || lineEnd >= end) {
            lineEnd = end;
        }
        std::string_view line = body.substr(pos, lineEnd - pos);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        pos = lineEnd == end ? end : lineEnd + 1;
        if (line.empty()) {
            sawBlankLine = true;
            break;
        }
        if ((line.front() == ' ' || line.front() == '\t') && !headers.empty()) {
            headers.back().second += " " + std::string(trim(line));
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            return Error{partName(index) + " byte " + std::to_string(pos - line.size()),
                         "malformed header line in " + partName(index)};
        }
        headers.emplace_back(std::string(trim(line.substr(0, colon))),
                             std::string(trim(line.substr(colon + 1))));
    }
    if (!sawBlankLine) {
        return Error{partName(index), "no blank line after the part headers"};
    }
    for (auto& [name, value] : headers) {
        if (equalsIgnoreCase(name, "Content-Id")) {
            part.contentId = stripAngles(value);
        } else if (equalsIgnoreCase(name, "Content-Type")) {
            part.contentType = value;
        } else if (equalsIgnoreCase(name, "Content-Transfer-Encoding")) {
            part.transferEncoding = toLower(value);
        } else {
            part.extraHeaders.emplace_back(std::move(name), std::move(value));
        }
    }
    const std::string_view content = body.substr(pos, end - pos);
    if (part.transferEncoding == "base64") {
        auto decoded = base64Decode(content);
        if (!decoded) {
            // Report the offset in the whole body, which is what a person can find.
            std::string where = decoded.error().where;
            if (where.rfind("byte ", 0) == 0) {
                where =
                    partName(index) + " byte " + std::to_string(pos + std::stoul(where.substr(5)));
            } else {
                where = partName(index);
            }
            return Error{where, "bad base64 in part with Content-Id <" + part.contentId +
                                    ">: " + decoded.error().message};
        }
        part.body = std::move(decoded).value();
    } else if (part.transferEncoding == "7bit" || part.transferEncoding == "8bit" ||
               part.transferEncoding == "binary") {
        part.body = std::string(content);
    } else {
        return Error{partName(index) + " Content-Transfer-Encoding",
                     "unsupported transfer encoding '" + part.transferEncoding + "'"};
    }
    return part;
}

} // namespace

std::string Part::header(std::string_view name) const {
    for (const auto& [key, value] : extraHeaders) {
        if (equalsIgnoreCase(key, name)) {
            return value;
        }
    }
    return {};
}

Result<ContentType> parseContentType(std::string_view headerValue) {
    std::vector<std::string_view> pieces;
    if (!splitParameters(headerValue, pieces)) {
        return Error{"Content-Type", "unterminated quoted parameter"};
    }
    ContentType result;
    result.mediaType = toLower(trim(pieces.front()));
    if (result.mediaType.empty() || result.mediaType.find('/') == std::string::npos) {
        return Error{"Content-Type", "no media type in '" + std::string(trim(headerValue)) + "'"};
    }
    for (std::size_t i = 1; i < pieces.size(); ++i) {
        const std::string_view piece = trim(pieces[i]);
        if (piece.empty()) {
            continue; // tolerate a trailing ';'
        }
        const std::size_t equals = piece.find('=');
        if (equals == std::string_view::npos) {
            return Error{"Content-Type", "parameter without a value: '" + std::string(piece) + "'"};
        }
        const std::string name = toLower(trim(piece.substr(0, equals)));
        std::string value = unquote(piece.substr(equals + 1));
        if (name == "boundary") {
            result.boundary = std::move(value);
        } else if (name == "type") {
            result.type = std::move(value);
        } else if (name == "start") {
            result.start = stripAngles(value);
        } else if (name == "charset") {
            result.charset = std::move(value);
        }
    }
    return result;
}

std::string contentTypeHeader(const Multipart& message) {
    return "multipart/related; boundary=\"" + message.boundary + "\"; type=" + message.type +
           "; start=" + message.start;
}

std::string serialize(const Multipart& message) {
    std::string out;
    std::size_t estimate = 64;
    for (const auto& part : message.parts) {
        estimate += part.body.size() * 4 / 3 + 256;
    }
    out.reserve(estimate);
    const std::string delimiter = "--" + message.boundary;
    for (const auto& part : message.parts) {
        out += delimiter;
        out += "\r\nContent-Id: <";
        out += part.contentId;
        out += ">\r\nContent-Type: ";
        out += part.contentType;
        out += "\r\nContent-Transfer-Encoding: ";
        out += part.transferEncoding;
        out += "\r\n";
        for (const auto& [name, value] : part.extraHeaders) {
            out += name;
            out += ": ";
            out += value;
            out += "\r\n";
        }
        out += "\r\n";
        if (equalsIgnoreCase(part.transferEncoding, "base64")) {
            out += base64Encode(part.body, 76);
        } else {
            out += part.body;
        }
        out += "\r\n";
    }
    out += delimiter;
    out += "--\r\n";
    return out;
}

Result<Multipart> parse(std::string_view contentTypeHeaderValue, std::string_view body) {
    auto contentType = parseContentType(contentTypeHeaderValue);
    if (!contentType) {
        return contentType.error();
    }
    if (contentType->mediaType.rfind("multipart/", 0) != 0) {
        return Error{"Content-Type", "not a multipart media type: " + contentType->mediaType};
    }
    if (contentType->boundary.empty()) {
        return Error{"Content-Type", "no boundary parameter"};
    }
    Multipart message;
    message.boundary = contentType->boundary;
    message.type = contentType->type;
    message.start = contentType->start;

    const std::string marker = "--" + contentType->boundary;
    auto delimiter = findDelimiter(body, marker, 0);
    if (!delimiter) {
        return Error{"body", "no delimiter line '" + marker + "' found"};
    }
    std::size_t index = 1;
    while (!delimiter->closing) {
        const std::size_t partStart = delimiter->next;
        auto next = findDelimiter(body, marker, partStart);
        if (!next) {
            return Error{"byte " + std::to_string(body.size()),
                         "missing closing delimiter '" + marker + "--'"};
        }
        // An empty part between two adjacent delimiters has no line break before the second.
        const std::size_t contentEnd = std::max(next->contentEnd, partStart);
        auto part = parsePart(body, partStart, contentEnd, index);
        if (!part) {
            return part.error();
        }
        message.parts.push_back(std::move(part).value());
        delimiter = next;
        ++index;
    }
    if (message.parts.empty()) {
        return Error{"body", "multipart body has no parts"};
    }
    return message;
}

} // namespace gp::messaging::mime
