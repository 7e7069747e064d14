#pragma once

#include <cstdint>
#include <vector>

namespace gp::agent::gp2gp {

/// Spine refuses a message body over about 4,999,600 bytes, and attachments travel base64 (four
/// characters per three bytes, plus CRLF every 76). 3,600,000 raw bytes encode to about
/// 4,926,000 characters, which leaves room for the envelope and the HL7 payload; so no single
/// message ever carries more raw attachment bytes than this, whatever gp2gp.largeThreshold says.
inline constexpr std::uint64_t kMaxRawBytesPerMessage = 3'600'000;

/// A whole message body must stay under Spine's limit with a safety margin for headers.
inline constexpr std::uint64_t kMaxMessageBytes = 4'900'000;

/// At most 98 attachments travel in one message (PROTOCOL.md §1).
inline constexpr std::size_t kMaxInlineAttachments = 98;

/// Characters an attachment of `rawBytes` takes in a MIME part: base64 wrapped at 76 with CRLF.
std::uint64_t base64WireBytes(std::uint64_t rawBytes);

/// How one attachment of a record travels.
enum class Placement {
    Inline,     // a MIME part of the extract message ("cid:")
    External,   // one COPC of its own after the Continue ("mid:")
    Fragmented, // a fragment index COPC plus one COPC per fragment (LargeAttachment=Yes)
};

struct AttachmentPlan {
    Placement placement = Placement::Inline;
    std::uint64_t fragmentBytes = 0; // Fragmented: raw bytes per fragment (the last may be less)
    int fragmentCount = 0;           // Fragmented only
};

struct ExtractPlan {
    bool compressExtract = false;            // send a skeleton plus the gzipped extract
    std::vector<AttachmentPlan> attachments; // same order as the input
};

/// Decides how a record travels (docs/gp2gp.md, "How a record is sent"):
/// - the extract is compressed when its XML is larger than `largeThreshold`;
/// - an attachment larger than min(largeThreshold, kMaxRawBytesPerMessage) is fragmented into
///   pieces of at most that many raw bytes;
/// - the others go inline (never beside a compressed extract), smallest first, while the extract
/// message (`extractWireBytes`: the
///   extract as it will travel, compressed or not) stays within min(largeThreshold,
///   kMaxMessageBytes) and 98 attachments; the rest are external.
ExtractPlan planExtract(const std::vector<std::uint64_t>& attachmentBytes,
                        std::uint64_t extractXmlBytes, std::uint64_t extractWireBytes,
                        std::uint64_t largeThreshold);

} // namespace gp::agent::gp2gp
