#include "ExtractPlanner.hpp"

#include <algorithm>

namespace gp::agent::gp2gp {

std::uint64_t base64WireBytes(std::uint64_t rawBytes) {
    const std::uint64_t characters = (rawBytes + 2) / 3 * 4;
    const std::uint64_t lines = (characters + 75) / 76;
    return characters + 2 * lines;
}

ExtractPlan planExtract(const std::vector<std::uint64_t>& attachmentBytes,
                        std::uint64_t extractXmlBytes, std::uint64_t extractWireBytes,
                        std::uint64_t largeThreshold) {
    ExtractPlan plan;
    plan.compressExtract = extractXmlBytes > largeThreshold;
    plan.attachments.resize(attachmentBytes.size());

    const std::uint64_t partLimit = std::min(largeThreshold, kMaxRawBytesPerMessage);
    std::vector<std::size_t> candidates;
    for (std::size_t i = 0; i < attachmentBytes.size(); ++i) {
        const std::uint64_t size = attachmentBytes[i];
        if (size > partLimit) {
            plan.attachments[i].placement = Placement::Fragmented;
            plan.attachments[i].fragmentBytes = partLimit;
            plan.attachments[i].fragmentCount =
                static_cast<int>((size + partLimit - 1) / partLimit);
        } else {
            candidates.push_back(i);
        }
    }

    // Smallest first keeps the most documents in the extract message, so the fewest COPCs.
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
        return attachmentBytes[a] < attachmentBytes[b];
    });
    // A compressed extract's message carries only the skeleton and the compressed original.
    const std::uint64_t budget = std::min(largeThreshold, kMaxMessageBytes);
    std::uint64_t used = extractWireBytes;
    std::size_t inlineCount = 0;
    for (const std::size_t i : candidates) {
        const std::uint64_t wire = base64WireBytes(attachmentBytes[i]);
        if (!plan.compressExtract && inlineCount < kMaxInlineAttachments && used + wire <= budget) {
            used += wire;
            ++inlineCount;
            plan.attachments[i].placement = Placement::Inline;
        } else {
            plan.attachments[i].placement = Placement::External;
        }
    }
    return plan;
}

} // namespace gp::agent::gp2gp
