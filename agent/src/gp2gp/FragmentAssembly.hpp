#pragma once

#include <gp/Result.hpp>
#include <gp/agent/store/ConversationTypes.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace gp::agent::gp2gp {

/// Where the fragments of one large attachment stand. Fragments arrive in any order, some
/// twice, some before their index; the parts table holds one row per fragment message.
struct FragmentStatus {
    bool complete = false; // every fragment 0..n-1 has arrived
    int expected = 0;      // fragments known (listed or arrived)
    int received = 0;
    std::vector<std::filesystem::path> files; // complete: in order
    std::string problem; // two different fragments claim the same place in the order
};

/// Reads the fragment rows of one index (`parts` may hold other rows; duplicates of one
/// partId count once). Complete when the sequences are exactly 0..n-1 and all received.
FragmentStatus fragmentStatus(const std::vector<ConversationPart>& parts,
                              const std::string& indexPartId);

/// Joins the fragments in order into `output` by appending, and checks the total against
/// `expectedBytes` when known: where="Length" on a mismatch (the caller NACKs 29).
Result<std::uint64_t> joinFragments(const std::vector<std::filesystem::path>& inOrder,
                                    const std::filesystem::path& output,
                                    std::optional<std::uint64_t> expectedBytes);

} // namespace gp::agent::gp2gp
