#pragma once

// Read-only SQL on an agent's database, for the campaign's checks: the campaign judges the agent
// by what it made durable, not by what its API chooses to show.

#include <sqlite3.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace gp::chaos {

class ReadOnlyDatabase {
public:
    /// Throws std::runtime_error naming the file when it cannot be opened.
    explicit ReadOnlyDatabase(const std::filesystem::path& file);

    /// Every row of `sql`, each column as text ("" for NULL).
    std::vector<std::vector<std::string>> rows(const std::string& sql) const;
    /// The first column of the first row as a number (0 when there is no row).
    long long count(const std::string& sql) const;

private:
    std::unique_ptr<sqlite3, int (*)(sqlite3*)> m_handle;
    std::filesystem::path m_file;
};

} // namespace gp::chaos
