// The GP2GP attachment description grammar (Filename="…" ContentType=… Compressed=Yes …) read
// from manifests and Content-Description headers. Whatever is read must survive being written
// and read again, since the sender writes what the requester reads.

#include "FuzzInput.hpp"

#include <gp/messaging/gp2gp/AttachmentDescription.hpp>

#include <cstdlib>
#include <string>

namespace {

using gp::messaging::gp2gp::AttachmentDescription;

// The writer turns control characters into spaces (the description travels in a one-line
// header), so compare values as written.
std::string asWritten(std::string text) {
    for (char& c : text) {
        if (static_cast<unsigned char>(c) < 0x20) {
            c = ' ';
        }
    }
    return text;
}

bool sameAsWritten(const AttachmentDescription& read, const AttachmentDescription& reread) {
    return asWritten(read.filename) == reread.filename &&
           asWritten(read.contentType) == reread.contentType &&
           read.compressed == reread.compressed && read.largeAttachment == reread.largeAttachment &&
           read.originalBase64 == reread.originalBase64 && read.length == reread.length &&
           read.domainData.has_value() == reread.domainData.has_value() &&
           (!read.domainData || asWritten(*read.domainData) == *reread.domainData);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace gp2gp = gp::messaging::gp2gp;
    auto read = gp2gp::parseAttachmentDescription(gp::fuzz::asText(data, size));
    if (!read) {
        return 0;
    }
    auto reread = gp2gp::parseAttachmentDescription(gp2gp::formatAttachmentDescription(*read));
    if (!reread || !sameAsWritten(*read, *reread)) {
        std::abort(); // format and parse disagree: a crash for libFuzzer to keep
    }
    return 0;
}
