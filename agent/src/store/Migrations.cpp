#include "Migrations.hpp"

#include "Statement.hpp"
#include "Transaction.hpp"

#include <stdexcept>
#include <string>

namespace gp::agent::sqlite {

namespace {

// Times are integer milliseconds since the Unix epoch (UTC).
// audit.message_id is '' rather than NULL for events about no message, so that the hash chain's
// serialisation has one spelling for "none" (see AuditChain.hpp).
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE messages (
    message_id           TEXT PRIMARY KEY NOT NULL,
    conversation_id      TEXT NOT NULL,
    interaction          TEXT NOT NULL,
    service              TEXT NOT NULL,
    business_id          TEXT NOT NULL,
    endpoint             TEXT NOT NULL,
    soap_action          TEXT NOT NULL,
    content_type         TEXT NOT NULL,
    body                 BLOB NOT NULL,
    state                TEXT NOT NULL CHECK (state IN
                             ('queued', 'sending', 'retry-wait', 'acked', 'failed', 'expired')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    max_attempts         INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    next_attempt_at      INTEGER NULL,
    acked_at             INTEGER NULL,
    lease_owner          TEXT NULL,
    lease_until          INTEGER NULL,
    last_error_code      TEXT NULL,
    last_error_text      TEXT NULL,
    last_error_at        INTEGER NULL,
    last_error_transport INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_claim ON messages (state, next_attempt_at);
CREATE INDEX messages_expiry ON messages (state, expires_at);
CREATE INDEX messages_lease ON messages (state, lease_until);
CREATE INDEX messages_transport_error ON messages (last_error_transport, last_error_at);

CREATE TABLE audit (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    event      TEXT NOT NULL,
    message_id TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_message ON audit (message_id, seq);
)sql";

int currentVersion(Database& database) {
    Statement query(database, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    query.step();
    return static_cast<int>(query.integer(0));
}

} // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kMigrations = {
        {1, kMigration1},
    };
    return kMigrations;
}

int applyMigrations(Database& database, const Clock& clock) {
    database.exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
    const int latest = migrations().back().version;
    const int found = currentVersion(database);
    if (found > latest) {
        throw std::runtime_error("the store's schema is version " + std::to_string(found) +
                                 ", newer than this gp-agent knows (" + std::to_string(latest) +
                                 "): run the newer gp-agent or restore a backup");
    }
    int applied = 0;
    for (const Migration& migration : migrations()) {
        if (migration.version <= found) {
            continue;
        }
        Transaction transaction(database);
        // Read again inside the write lock: another process may have migrated meanwhile.
        if (migration.version <= currentVersion(database)) {
            continue;
        }
        database.exec(migration.sql);
        Statement record(database,
                         "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)");
        record.bind(1, std::int64_t{migration.version}).bind(2, toEpochMillis(clock.now())).run();
        transaction.commit();
        ++applied;
    }
    return applied;
}

} // namespace gp::agent::sqlite
