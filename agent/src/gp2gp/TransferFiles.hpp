#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace gp::agent::gp2gp {

// File work of a transfer, streamed in small buffers: a 100 MB attachment is never held whole.
// Each write is fsynced before the function returns, so a store row that names the file can
// be committed after it.

/// Writes `content` to `path` (creating parent folders), fsynced, atomically replacing any file.
Status writeSynced(const std::filesystem::path& path, const std::string& content);

/// Writes `head`, then `length` bytes of `source` from `offset` (base64-encoded and wrapped at 76
/// characters when `base64`), then `tail` to `path`, fsynced, atomically replacing any file: an
/// outbound body built with a fixed-size buffer, never whole in memory. Fails when `source` is
/// shorter than that.
Status writeSyncedAround(const std::filesystem::path& path, const std::string& head,
                         const std::filesystem::path& source, std::uint64_t offset,
                         std::uint64_t length, bool base64, const std::string& tail);

/// Writes `bytes` into `path` at `offset` (creating the file, keeping what else it holds) and
/// fdatasyncs it: a fragment put in its place in the document being assembled.
Status writeAtSynced(const std::filesystem::path& path, std::uint64_t offset,
                     std::string_view bytes);

/// Copies all of `from` into `to` at `offset`, fdatasynced. Returns the bytes copied.
Result<std::uint64_t> copyAtSynced(const std::filesystem::path& from,
                                   const std::filesystem::path& to, std::uint64_t offset);

/// Cuts `path` to `size` bytes (what a write that was never committed may have left beyond the
/// assembled document), fsynced.
Status truncateSynced(const std::filesystem::path& path, std::uint64_t size);

/// Gives the (already durable) file `from` the further name `to` with a hard link, or copies it,
/// fsynced, when the two are on different file systems. `to` must not exist.
Status linkOrCopySynced(const std::filesystem::path& from, const std::filesystem::path& to);

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
