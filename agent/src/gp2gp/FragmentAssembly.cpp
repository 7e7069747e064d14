#include "FragmentAssembly.hpp"

#include "TransferFiles.hpp"

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

Result<std::uint64_t> joinFragments(const std::vector<std::filesystem::path>& inOrder,
                                    const std::filesystem::path& output,
                                    std::optional<std::uint64_t> expectedBytes) {
    auto joined = joinFiles(inOrder, output);
    if (!joined) {
        return joined.error();
    }
    if (expectedBytes && *joined != *expectedBytes) {
        return failure("Length", "fragments join to " + std::to_string(*joined) +
                                     " bytes, the description says " +
                                     std::to_string(*expectedBytes));
    }
    return *joined;
}

} // namespace gp::agent::gp2gp
