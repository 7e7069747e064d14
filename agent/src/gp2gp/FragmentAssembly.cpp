#include "FragmentAssembly.hpp"

#include "TransferFiles.hpp"

#include <algorithm>
#include <map>

namespace gp::agent::gp2gp {

FragmentStatus fragmentStatus(const std::vector<ConversationPart>& parts,
                              const std::string& indexPartId) {
    FragmentStatus status;
    std::map<int, const ConversationPart*> bySequence;
    for (const auto& part : parts) {
        if (part.kind != "fragment" || part.parentPartId != indexPartId) {
            continue;
        }
        auto [it, inserted] = bySequence.emplace(part.sequence, &part);
        if (!inserted && it->second->partId != part.partId) {
            status.problem = "fragments " + it->second->partId + " and " + part.partId +
                             " both claim place " + std::to_string(part.sequence);
            return status;
        }
        if (!inserted && part.state == "received") {
            it->second = &part;
        }
    }
    status.expected = static_cast<int>(bySequence.size());
    int next = 0;
    bool contiguous = true;
    for (const auto& [sequence, part] : bySequence) {
        contiguous = contiguous && sequence == next++;
        if (part->state == "received") {
            ++status.received;
            status.files.push_back(part->file);
        }
    }
    status.complete = contiguous && status.expected > 0 && status.received == status.expected;
    if (!status.complete) {
        status.files.clear();
    }
    return status;
}

namespace {

/// The fragment rows of one index by place; of two rows for one place the received one.
std::map<int, const ConversationPart*> fragmentsByPlace(const std::vector<ConversationPart>& parts,
                                                        const std::string& indexPartId) {
    std::map<int, const ConversationPart*> bySequence;
    for (const auto& part : parts) {
        if (part.kind != "fragment" || part.parentPartId != indexPartId) {
            continue;
        }
        auto [it, inserted] = bySequence.emplace(part.sequence, &part);
        if (!inserted && part.state == "received" && it->second->state != "received") {
            it->second = &part;
        }
    }
    return bySequence;
}

bool inPlace(const ConversationPart& part, const std::filesystem::path& assembly) {
    return part.state == "received" && part.file == assembly;
}

} // namespace

std::filesystem::path assemblyFile(const std::filesystem::path& receivedDir,
                                   const std::string& indexPartId) {
    return receivedDir / (indexPartId + ".joined");
}

AssemblyPoint assemblyPoint(const std::vector<ConversationPart>& parts,
                            const std::string& indexPartId, const std::filesystem::path& assembly) {
    AssemblyPoint point;
    for (const auto& [sequence, part] : fragmentsByPlace(parts, indexPartId)) {
        if (sequence != point.next || !inPlace(*part, assembly)) {
            break;
        }
        point.offset += static_cast<std::uint64_t>(std::max<std::int64_t>(part->expectedBytes, 0));
        ++point.next;
    }
    return point;
}

bool fitsNext(const std::vector<ConversationPart>& parts, const ConversationPart& fragment,
              const std::filesystem::path& assembly, AssemblyPoint& point) {
    for (const auto& other : parts) {
        if (other.kind == "fragment" && other.parentPartId == fragment.parentPartId &&
            other.sequence == fragment.sequence && other.partId != fragment.partId &&
            other.state == "received") {
            return false; // two claim one place: reconciliation reports it
        }
    }
    point = assemblyPoint(parts, fragment.parentPartId, assembly);
    return fragment.sequence == point.next;
}

Result<std::vector<ConversationPart>> placeReceived(const std::vector<ConversationPart>& parts,
                                                    const std::string& indexPartId,
                                                    const std::filesystem::path& assembly) {
    std::vector<ConversationPart> moved;
    AssemblyPoint point = assemblyPoint(parts, indexPartId, assembly);
    const auto bySequence = fragmentsByPlace(parts, indexPartId);
    for (auto it = bySequence.find(point.next); it != bySequence.end(); ++it) {
        const ConversationPart& part = *it->second;
        if (it->first != point.next || part.state != "received") {
            break;
        }
        auto copied = copyAtSynced(part.file, assembly, point.offset);
        if (!copied) {
            return copied.error();
        }
        ConversationPart placed = part;
        placed.file = assembly;
        placed.expectedBytes = static_cast<std::int64_t>(*copied);
        moved.push_back(placed);
        point.offset += *copied;
        ++point.next;
    }
    return moved;
}

Result<std::uint64_t> finishAssembly(const std::vector<ConversationPart>& parts,
                                     const std::string& indexPartId,
                                     const std::filesystem::path& assembly,
                                     std::optional<std::uint64_t> expectedBytes) {
    const AssemblyPoint point = assemblyPoint(parts, indexPartId, assembly);
    if (point.next != static_cast<int>(fragmentsByPlace(parts, indexPartId).size())) {
        return failure("assembly", "not every fragment of " + indexPartId + " is in place");
    }
    if (expectedBytes && point.offset != *expectedBytes) {
        return failure("Length", "fragments join to " + std::to_string(point.offset) +
                                     " bytes, the description says " +
                                     std::to_string(*expectedBytes));
    }
    if (point.next == 0) {
        // No fragment: an empty document, whose file was never written.
        if (auto written = writeAtSynced(assembly, 0, {}); !written) {
            return written.error();
        }
    }
    if (auto cut = truncateSynced(assembly, point.offset); !cut) {
        return cut.error();
    }
    return point.offset;
}

} // namespace gp::agent::gp2gp
