#pragma once

#include <gp/Result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::messaging::mime {

/// One MIME header, name as written (compared without regard to case).
using Header = std::pair<std::string, std::string>;

/// One body part. `body` always holds the decoded bytes (binary-safe); the transfer encoding
/// says how it is written on the wire: "8bit" (as is), "binary" (as is) or "base64".
struct Part {
    std::string contentId; // without angle brackets, e.g. "ebXMLHeader@spine.nhs.uk"
    std::string contentType;
    std::string transferEncoding = "8bit";
    std::vector<Header> extraHeaders; // e.g. Content-Description; never Content-Id/Type/Encoding
    std::string body;

    /// The value of an extra header by case-insensitive name, or empty.
    std::string header(std::string_view name) const;
};

/// The parameters of a `multipart/related` Content-Type header.
struct ContentType {
    std::string mediaType; // lower case, e.g. "multipart/related"
    std::string boundary;
    std::string type;  // e.g. "text/xml"
    std::string start; // without angle brackets
    std::string charset;
};

/// Parses a Content-Type header value: quoted or unquoted parameters, any order, `start` with or
/// without angle brackets, parameter names in any case.
Result<ContentType> parseContentType(std::string_view headerValue);

struct Multipart {
    std::string boundary = "--=_MIME-Boundary";
    std::string type = "text/xml";
    std::string start = "ebXMLHeader@spine.nhs.uk";
    std::vector<Part> parts;
};

/// The Content-Type header value we send, in the form Spine accepts:
/// multipart/related; boundary="<b>"; type=text/xml; start=<start>
std::string contentTypeHeader(const Multipart& message);

/// The body: CRLF line ends, each part with Content-Id (in angle brackets), Content-Type and
/// Content-Transfer-Encoding, base64 bodies wrapped at 76 characters, then the closing delimiter.
std::string serialize(const Multipart& message);

/// Parses a body given its Content-Type header value. Accepts any boundary, CRLF or bare LF,
/// transfer encodings 7bit/8bit/binary/base64, and returns decoded part bodies. Errors name the
/// byte offset or header that is wrong.
Result<Multipart> parse(std::string_view contentTypeHeaderValue, std::string_view body);

std::string base64Encode(std::string_view bytes, std::size_t lineLength = 76);
Result<std::string> base64Decode(std::string_view text); // ignores CR, LF, spaces

} // namespace gp::messaging::mime
