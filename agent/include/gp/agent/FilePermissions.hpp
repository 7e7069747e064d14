#pragma once

#include <gp/agent/Files.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace gp::agent {

// Start-up refuses state that other users of the machine can read or change (docs/security.md):
// the database holds patient data and the token files decide who may act.

/// Creates `dir` (mode 0750) when it is missing; throws, naming `key`, the path, its mode and the
/// chmod that fixes it, when it exists and every user may read, write or enter it (mode & 0007).
void requirePrivateDirectory(const std::filesystem::path& dir, std::string_view key);

/// Why `file` may not hold a secret (mode & 0077: its group or others may read or change it), or
/// nothing when it is owner-only. A missing file is fine.
std::optional<std::string> ownerOnlyProblem(const std::filesystem::path& file,
                                            std::string_view key);

/// Throws with ownerOnlyProblem's message when there is one.
void requireOwnerOnlyFile(const std::filesystem::path& file, std::string_view key);

/// Whom a rewritten `file` should belong to when root rewrites it: its present owner, or for a new
/// file, its directory's. Nothing when not running as root (a file is then always ours).
std::optional<FileOwner> ownerToKeep(const std::filesystem::path& file);

} // namespace gp::agent
