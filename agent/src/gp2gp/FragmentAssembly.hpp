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

/// The file a fragmented document is assembled in. Each fragment is written at its place when it
/// arrives in order, or moved there once those before it are in, so nothing is joined at the end;
/// a fragment whose part row names this file is in place. Every write there is fdatasynced before
/// the row that says so is committed.
std::filesystem::path assemblyFile(const std::filesystem::path& receivedDir,
                                   const std::string& indexPartId);

/// How far the assembly has come: fragments 0..next-1 are in place, `offset` bytes with them.
struct AssemblyPoint {
    int next = 0;
    std::uint64_t offset = 0;
};
AssemblyPoint assemblyPoint(const std::vector<ConversationPart>& parts,
                            const std::string& indexPartId, const std::filesystem::path& assembly);

/// Whether a fragment part (listed by its index) that has just arrived goes straight to its place:
/// true when every fragment before it is in place and no other fragment claims its place.
bool fitsNext(const std::vector<ConversationPart>& parts, const ConversationPart& fragment,
              const std::filesystem::path& assembly, AssemblyPoint& point);

/// Moves fragments received out of order (each in a file of its own) into `assembly`, in order
/// from the assembly point, as far as none is missing. Returns their rows, now naming `assembly`.
Result<std::vector<ConversationPart>> placeReceived(const std::vector<ConversationPart>& parts,
                                                    const std::string& indexPartId,
                                                    const std::filesystem::path& assembly);

/// Once every fragment is in place: checks the total against `expectedBytes` when known
/// (where="Length" on a mismatch: the caller NACKs 29) and cuts the file to it, dropping whatever
/// a write that was never committed left beyond. Returns the document's size.
Result<std::uint64_t> finishAssembly(const std::vector<ConversationPart>& parts,
                                     const std::string& indexPartId,
                                     const std::filesystem::path& assembly,
                                     std::optional<std::uint64_t> expectedBytes);

} // namespace gp::agent::gp2gp
