#pragma once

#include "PgConnection.hpp"

#include <gp/agent/Clock.hpp>

#include <string_view>
#include <vector>

namespace gp::agent::pg {

/// One forward-only schema change, the PostgreSQL twin of SQLite's migration of the same number
/// (Migrations.cpp): the same tables and columns meaning the same things, in PostgreSQL's words.
struct PgMigration {
    int version;
    std::string_view sql;
};

const std::vector<PgMigration>& pgMigrations();

/// Makes sure the schema the store works in (the first of search_path) exists, creating it if
/// not. Throws std::runtime_error when search_path names none.
void ensurePgSchema(Connection& connection);

/// Applies every migration newer than the schema, all in one transaction holding a
/// transaction-level advisory lock on the current schema, so that instances starting together
/// migrate once and never see half a schema. Returns how many were applied. Throws PgError when
/// one fails, and std::runtime_error when the schema is newer than this program or the schema
/// named by search_path cannot be found or made.
int applyPgMigrations(Connection& connection, const Clock& clock);

} // namespace gp::agent::pg
