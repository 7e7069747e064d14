// `gp-agentctl backup DIR`: a copy of the agent's state directory, taken while the agent runs.
#pragma once

#include <cstdint>
#include <filesystem>

namespace gp::agent {

struct StateBackupReport {
    std::int64_t databasePages = 0; // pages of gp-agent.db copied
    std::int64_t filesCopied = 0;   // every other file: payloads, GP2GP files, tokens
    std::uintmax_t fileBytes = 0;
};

/// Copies the state directory `stateDir` into `destination`, a directory that must not exist
/// yet (made with mode 0700: it holds the API tokens). The database goes first, through
/// SQLite's online backup: one read transaction, so the copy is the database as it was at one
/// instant even while the agent writes (WAL mode lets it). Then every other file, keeping the
/// layout: bodies and GP2GP files are written before the rows that name them commit and removed
/// after those rows go, so every file the copied database names already exists (a file removed
/// in between belongs to a row whose keep time had run out, which the agent deletes again after
/// a restore). Left out: the WAL and shared-memory files, agent.lock and ports.json, which belong
/// to a running process. Throws std::runtime_error naming the file when anything fails.
StateBackupReport backupStateDirectory(const std::filesystem::path& stateDir,
                                       const std::filesystem::path& destination);

} // namespace gp::agent
