#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gp::agent::gp2gp {

// File work of a transfer, streamed in small buffers: a 100 MB attachment is never held whole.
// Each write is fsynced before the function returns, so a store row that names the file can
// be committed after it.

/// Writes `content` to `path` (creating parent folders), fsynced, atomically replacing any file.
Status writeSynced(const std::filesystem::path& path, const std::string& content);

/// Reads `length` bytes at `offset`. Fails when the file is shorter.
Result<std::string> readRange(const std::filesystem::path& path, std::uint64_t offset,
                              std::uint64_t length);

/// Concatenates `inputs` in order into `output` (replacing it), fsynced. Returns the bytes written.
Result<std::uint64_t> joinFiles(const std::vector<std::filesystem::path>& inputs,
                                const std::filesystem::path& output);

/// Copies `from` to `to` (replacing it), fsynced.
Status copySynced(const std::filesystem::path& from, const std::filesystem::path& to);

/// fsyncs a directory, so renames and new entries in it survive a power cut.
void syncDirectory(const std::filesystem::path& directory);

/// Size of a file, or -1 when it cannot be read.
std::int64_t fileBytes(const std::filesystem::path& path);

} // namespace gp::agent::gp2gp
