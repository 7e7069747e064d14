#pragma once

#include "Database.hpp"

#include <gp/agent/Clock.hpp>

#include <string_view>
#include <vector>

namespace gp::agent::sqlite {

/// One forward-only schema change. Numbers start at 1 and never change meaning once released:
/// a new change is a new number at the end of the list.
struct Migration {
    int version;
    std::string_view sql;
};

const std::vector<Migration>& migrations();

/// Applies every migration newer than the file's schema, each in its own transaction together
/// with its schema_migrations row. Returns how many were applied. Throws SqliteError when one
/// fails, and std::runtime_error when the file is newer than this program.
int applyMigrations(Database& database, const Clock& clock);

} // namespace gp::agent::sqlite
