#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gp::messaging::gp2gp {

/// The description both sides rely on, carried in the eb:Manifest reference and the MIME part:
/// Filename="..." ContentType=... Compressed=Yes|No LargeAttachment=Yes|No OriginalBase64=Yes|No
/// [Length=n] [DomainData="..."]. Filenames may contain '=' and spaces.
///
/// Quoting: Filename and DomainData are always quoted; inside quotes '"' is written \" and '\'
/// is written \\ (a backslash before anything else is read as a plain backslash, so unescaped
/// Windows paths from other systems survive). Control characters in a value are written as
/// spaces, because the description also travels in a one-line Content-Description header.
/// Reading tolerates any whitespace between pairs and any key order, ignores unknown keys, and is
/// strict about values (Yes/No exactly, Length digits only, no key twice).
struct AttachmentDescription {
    std::string filename;
    std::string contentType;
    bool compressed = false;
    bool largeAttachment = false;
    bool originalBase64 = false;
    std::optional<std::uint64_t> length; // bytes of the original (uncompressed, decoded) file
    std::optional<std::string> domainData;
};

std::string formatAttachmentDescription(const AttachmentDescription& description);

/// Errors name the token, e.g. where="Compressed" message="must be Yes or No, not 'maybe'".
Result<AttachmentDescription> parseAttachmentDescription(std::string_view text);

} // namespace gp::messaging::gp2gp
