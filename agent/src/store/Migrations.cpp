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

// Large GP2GP bodies live in files; the recipient's retry interval is the base of the backoff.
constexpr std::string_view kMigration2 = R"sql(
ALTER TABLE messages ADD COLUMN body_file TEXT NULL;
ALTER TABLE messages ADD COLUMN retry_interval_ms INTEGER NULL;
)sql";

// Received messages, kept for duplicate elimination until keep_until, with the ack we answered
// so that a duplicate gets exactly the same bytes.
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE inbox (
    message_id        TEXT PRIMARY KEY NOT NULL,
    conversation_id   TEXT NOT NULL,
    service           TEXT NOT NULL,
    interaction       TEXT NOT NULL,
    from_party        TEXT NOT NULL,
    ref_to_message_id TEXT NOT NULL DEFAULT '',
    content_type      TEXT NOT NULL,
    body_file         TEXT NOT NULL,
    body_bytes        INTEGER NOT NULL,
    received_at       INTEGER NOT NULL,
    keep_until        INTEGER NOT NULL,
    ack_status        INTEGER NOT NULL,
    ack_content_type  TEXT NOT NULL,
    ack_body          BLOB NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('received', 'processed', 'failed')),
    error             TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_state ON inbox (state, received_at);
CREATE INDEX inbox_keep_until ON inbox (keep_until);
)sql";

// GP2GP transfers and their parts. state and data belong to the workflow. Parts go with their
// conversation.
constexpr std::string_view kMigration4 = R"sql(
CREATE TABLE conversations (
    conversation_id    TEXT PRIMARY KEY NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('requester', 'sender')),
    state              TEXT NOT NULL,
    nhs_number         TEXT NOT NULL DEFAULT '',
    local_ods          TEXT NOT NULL DEFAULT '',
    remote_ods         TEXT NOT NULL DEFAULT '',
    request_id         TEXT NOT NULL DEFAULT '',
    request_message_id TEXT NOT NULL DEFAULT '',
    extract_message_id TEXT NOT NULL DEFAULT '',
    deadline           INTEGER NULL,
    error_code         TEXT NOT NULL DEFAULT '',
    error_text         TEXT NOT NULL DEFAULT '',
    parts_expected     INTEGER NOT NULL DEFAULT 0,
    parts_done         INTEGER NOT NULL DEFAULT 0,
    bytes_expected     INTEGER NOT NULL DEFAULT 0,
    bytes_done         INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    data               TEXT NOT NULL DEFAULT ''
);
CREATE INDEX conversations_deadline ON conversations (deadline) WHERE deadline IS NOT NULL;
CREATE INDEX conversations_created ON conversations (state, created_at);

CREATE TABLE conversation_parts (
    conversation_id TEXT NOT NULL REFERENCES conversations (conversation_id) ON DELETE CASCADE,
    part_id         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    parent_part_id  TEXT NOT NULL DEFAULT '',
    sequence        INTEGER NOT NULL DEFAULT 0,
    filename        TEXT NOT NULL DEFAULT '',
    content_type    TEXT NOT NULL DEFAULT '',
    expected_bytes  INTEGER NOT NULL DEFAULT -1,
    state           TEXT NOT NULL,
    file            TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (conversation_id, part_id)
);

CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
)sql";

// The outbox carries e-RS REST calls besides Spine's ebXML (kind, method, headers as a JSON array
// of [name, value] pairs, whether a resend is safe), the poll URL of a deferred Spine reply, and
// the reply that ended a message (at most 1 MiB of body) for the workflow that waits on it.
constexpr std::string_view kMigration5 = R"sql(
ALTER TABLE messages ADD COLUMN kind TEXT NOT NULL DEFAULT 'ebxml';
ALTER TABLE messages ADD COLUMN method TEXT NOT NULL DEFAULT 'POST';
ALTER TABLE messages ADD COLUMN headers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN idempotent INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN poll_url TEXT NULL;
ALTER TABLE messages ADD COLUMN reply_status INTEGER NULL;
ALTER TABLE messages ADD COLUMN reply_content_type TEXT NULL;
ALTER TABLE messages ADD COLUMN reply_location TEXT NULL;
ALTER TABLE messages ADD COLUMN reply_etag TEXT NULL;
ALTER TABLE messages ADD COLUMN reply_body BLOB NULL;
)sql";

// EPS prescriptions this agent sent or cancelled, and each line item's latest state as Spine
// last answered it (docs/eps.md). The NHS number is kept for cancellations.
constexpr std::string_view kMigration6 = R"sql(
CREATE TABLE eps_prescriptions (
    prescription_id   TEXT PRIMARY KEY NOT NULL,
    prescription_uuid TEXT NOT NULL DEFAULT '',
    message_id        TEXT NOT NULL DEFAULT '',
    nhs_number        TEXT NOT NULL DEFAULT '',
    prescriber        TEXT NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL
);
CREATE TABLE eps_items (
    prescription_id         TEXT NOT NULL REFERENCES eps_prescriptions (prescription_id),
    line_item_id            TEXT NOT NULL,
    position                INTEGER NOT NULL,
    state                   TEXT NOT NULL,
    code                    TEXT NOT NULL DEFAULT '',
    text                    TEXT NOT NULL DEFAULT '',
    prescription_message_id TEXT NOT NULL DEFAULT '',
    cancel_message_id       TEXT NOT NULL DEFAULT '',
    cancel_reason           TEXT NOT NULL DEFAULT '',
    updated_at              INTEGER NOT NULL,
    PRIMARY KEY (prescription_id, line_item_id)
);
CREATE INDEX eps_items_prescription_message ON eps_items (prescription_message_id);
CREATE INDEX eps_items_cancel_message ON eps_items (cancel_message_id);
CREATE INDEX messages_business ON messages (business_id, created_at);
)sql";

// e-RS referral requests (docs/ers.md) and their steps, one row per outbox message. state and
// the counters belong to the workflow; the NHS number is kept for re-creating a referral.
constexpr std::string_view kMigration7 = R"sql(
CREATE TABLE ers_requests (
    request_id          TEXT PRIMARY KEY NOT NULL,
    state               TEXT NOT NULL,
    nhs_number          TEXT NOT NULL,
    service_ids         TEXT NOT NULL,
    letter_file         TEXT NOT NULL DEFAULT '',
    letter_title        TEXT NOT NULL DEFAULT '',
    letter_content_type TEXT NOT NULL DEFAULT '',
    letter_bytes        INTEGER NOT NULL DEFAULT 0,
    ubrn                TEXT NOT NULL DEFAULT '',
    version             TEXT NOT NULL DEFAULT '',
    binary_url          TEXT NOT NULL DEFAULT '',
    error_code          TEXT NOT NULL DEFAULT '',
    error_text          TEXT NOT NULL DEFAULT '',
    create_attempts     INTEGER NOT NULL DEFAULT 0,
    attach_attempts     INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
);
CREATE INDEX ers_requests_state ON ers_requests (state, created_at);
CREATE INDEX ers_requests_ubrn ON ers_requests (ubrn) WHERE ubrn <> '';

CREATE TABLE ers_steps (
    request_id     TEXT NOT NULL REFERENCES ers_requests (request_id),
    seq            INTEGER NOT NULL,
    step           TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    correlation_id TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL,
    code           TEXT NOT NULL DEFAULT '',
    text           TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    PRIMARY KEY (request_id, seq)
);
CREATE INDEX ers_steps_message ON ers_steps (message_id);
)sql";

// The patient an audit row concerns. NULL marks rows written before this column existed, whose
// hashes do not cover it (AuditChain.hpp); every later row stores a value, '' for no patient.
constexpr std::string_view kMigration8 = R"sql(
ALTER TABLE audit ADD COLUMN nhs_number TEXT NULL;
)sql";

// Staff actions (docs/status-page.md): a failed or expired message acknowledged by staff, the
// start of each message's latest send (the status page's "last sent"), and agent-wide flags that
// survive a restart, such as sending paused.
constexpr std::string_view kMigration9 = R"sql(
ALTER TABLE messages ADD COLUMN acknowledged_at INTEGER NULL;
ALTER TABLE messages ADD COLUMN last_sent_at INTEGER NULL;
CREATE INDEX messages_state_created ON messages (state, created_at);
CREATE TABLE agent_flags (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
)sql";

// A long queue (100,000 messages after a Spine outage) must not slow each claim, start-up or the
// status page: every query those run on it walks an index to the few rows it needs.
// - messages_claim gains created_at, so a claim reads the due messages of each state in order and
//   stops at its batch size instead of sorting the whole backlog;
// - messages_exhausted holds only live messages with no attempts left (normally none), which
//   every claim fails first;
// - acked_at and last_sent_at serve the status summary's "last acknowledged" and "last sent".
constexpr std::string_view kMigration10 = R"sql(
DROP INDEX messages_claim;
CREATE INDEX messages_claim ON messages (state, next_attempt_at, created_at);
CREATE INDEX messages_exhausted ON messages (state)
    WHERE max_attempts > 0 AND attempts >= max_attempts AND poll_url IS NULL
      AND state IN ('queued', 'retry-wait', 'sending');
CREATE INDEX messages_acked_at ON messages (acked_at);
CREATE INDEX messages_last_sent ON messages (last_sent_at);
)sql";

// Multi-practice (docs/multi-practice.md): the practice (ODS code) each outbound message and
// e-RS request is for. '' is the agent's default practice, which every earlier row belongs to.
constexpr std::string_view kMigration11 = R"sql(
ALTER TABLE messages ADD COLUMN practice TEXT NOT NULL DEFAULT '';
ALTER TABLE ers_requests ADD COLUMN practice TEXT NOT NULL DEFAULT '';
CREATE INDEX messages_practice_created ON messages (practice, created_at);
)sql";

int currentVersion(Database& database) {
    Statement query(database, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    query.step();
    return static_cast<int>(query.integer(0));
}

} // namespace

const std::vector<Migration>& migrations() {
    static const std::vector<Migration> kMigrations = {
        {1, kMigration1}, {2, kMigration2},   {3, kMigration3},   {4, kMigration4},
        {5, kMigration5}, {6, kMigration6},   {7, kMigration7},   {8, kMigration8},
        {9, kMigration9}, {10, kMigration10}, {11, kMigration11},
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
