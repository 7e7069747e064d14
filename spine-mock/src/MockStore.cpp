#include "Sqlite.hpp"

#include <gp/mock/MockStore.hpp>

#include <Poco/File.h>
#include <Poco/Path.h>

#include <stdexcept>

namespace gp::mock {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS journal (
    sequence     INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id   TEXT NOT NULL,
    interaction  TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    reply_code   TEXT NOT NULL,
    received_at  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS journal_by_message ON journal (message_id);
CREATE TABLE IF NOT EXISTS replies (
    message_id   TEXT PRIMARY KEY,
    status       INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body         BLOB NOT NULL,
    reply_code   TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS prescriptions (
    prescription_id TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL
);
)sql";

// Version 1 added GP2GP forwarding. A database written before it has user_version 0 and the
// tables above; the journal gains two columns and the new tables are created.
constexpr const char* kVersion1 = R"sql(
ALTER TABLE journal ADD COLUMN leg TEXT NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
CREATE TABLE practices (
    ods_code    TEXT PRIMARY KEY,
    party_key   TEXT NOT NULL UNIQUE,
    asid        TEXT NOT NULL,
    inbound_url TEXT NOT NULL
);
CREATE TABLE forwards (
    sequence          INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id        TEXT NOT NULL UNIQUE,
    interaction       TEXT NOT NULL,
    conversation_id   TEXT NOT NULL,
    sender            TEXT NOT NULL,
    recipient         TEXT NOT NULL,
    content_type      TEXT NOT NULL,
    soap_action       TEXT NOT NULL,
    body              BLOB NOT NULL,
    ack_status        INTEGER NOT NULL,
    ack_content_type  TEXT NOT NULL,
    ack_body          BLOB NOT NULL,
    state             TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    deliveries        INTEGER NOT NULL,
    accepted_at       INTEGER NOT NULL,
    next_attempt_at   INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    last_result       TEXT NOT NULL
);
CREATE INDEX forwards_by_state ON forwards (state, sequence);
PRAGMA user_version = 1;
)sql";

// Version 2 added the e-Referral Service's referrals and uploaded files (ErsStore).
constexpr const char* kVersion2 = R"sql(
CREATE TABLE IF NOT EXISTS ers_referrals (
    ubrn           TEXT PRIMARY KEY,
    correlation_id TEXT NOT NULL,
    nhs_number     TEXT NOT NULL,
    ods_code       TEXT NOT NULL,
    priority       TEXT NOT NULL,
    status         TEXT NOT NULL,
    version        INTEGER NOT NULL,
    services       TEXT NOT NULL,
    attachments    TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ers_referrals_by_correlation ON ers_referrals (correlation_id);
CREATE TABLE IF NOT EXISTS ers_binaries (
    binary_id    TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    referral_id  TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
PRAGMA user_version = 2;
)sql";

// Version 3 added EPS line items, cancellations held until their prescription lands, and
// deferred replies' poll tokens (EpsState).
constexpr const char* kVersion3 = R"sql(
CREATE TABLE IF NOT EXISTS eps_items (
    prescription_id TEXT NOT NULL,
    line_item_id    TEXT NOT NULL,
    state           TEXT NOT NULL,
    dispenser_ods   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (prescription_id, line_item_id)
);
CREATE TABLE IF NOT EXISTS eps_held_cancellations (
    message_id      TEXT PRIMARY KEY,
    prescription_id TEXT NOT NULL,
    line_item_id    TEXT NOT NULL,
    state           TEXT NOT NULL,
    received_at     TEXT NOT NULL,
    resolved_at     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS eps_held_by_prescription
    ON eps_held_cancellations (prescription_id, state);
CREATE TABLE IF NOT EXISTS eps_deferred (
    token       TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL,
    interaction TEXT NOT NULL,
    polls_left  INTEGER NOT NULL
);
PRAGMA user_version = 3;
)sql";

constexpr const char* kForwardColumns =
    "sequence, message_id, interaction, conversation_id, sender, recipient, content_type, "
    "soap_action, state, attempts, deliveries, accepted_at, next_attempt_at, expires_at, "
    "last_result";

ForwardRecord readForward(const SqliteStatement& row) {
    ForwardRecord record;
    record.sequence = row.integer(0);
    record.messageId = row.text(1);
    record.interaction = row.text(2);
    record.conversationId = row.text(3);
    record.sender = row.text(4);
    record.recipient = row.text(5);
    record.contentType = row.text(6);
    record.soapAction = row.text(7);
    record.state = row.text(8);
    record.attempts = static_cast<int>(row.integer(9));
    record.deliveries = static_cast<int>(row.integer(10));
    record.acceptedAt = row.integer(11);
    record.nextAttemptAt = row.integer(12);
    record.expiresAt = row.integer(13);
    record.lastResult = row.text(14);
    return record;
}

Practice readPractice(const SqliteStatement& row) {
    return Practice{row.text(0), row.text(1), row.text(2), row.text(3)};
}

Result<std::optional<Practice>> onePractice(SqliteStatement& query) {
    auto row = query.step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<Practice>();
    }
    return std::optional<Practice>(readPractice(query));
}

} // namespace

MockStore::MockStore(const std::string& stateDir, CommitHooks hooks) {
    Poco::File(stateDir).createDirectories();
    m_db =
        std::make_unique<SqliteDatabase>(Poco::Path(stateDir).append("spine-mock.db").toString());
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
        if (auto status = m_db->exec(pragma); !status) {
            throw std::runtime_error("cannot prepare the database in " + stateDir + ": " +
                                     status.error().message);
        }
    }
    if (auto migrated = migrate(); !migrated) {
        throw std::runtime_error("cannot upgrade the database in " + stateDir + ": " +
                                 migrated.error().message);
    }
    m_commits = std::make_unique<GroupCommit>(*m_db, std::move(hooks));
}

MockStore::~MockStore() = default;

Status MockStore::migrate() {
    auto version = m_db->prepare("PRAGMA user_version");
    auto row = version.step();
    if (!row) {
        return row.error();
    }
    const std::int64_t current = *row ? version.integer(0) : 0;
    if (current < 1) {
        if (auto upgraded = inTransaction([&] { return m_db->exec(kVersion1); }); !upgraded) {
            return upgraded;
        }
    }
    if (current < 2) {
        if (auto upgraded = inTransaction([&] { return m_db->exec(kVersion2); }); !upgraded) {
            return upgraded;
        }
    }
    if (current < 3) {
        if (auto upgraded = inTransaction([&] { return m_db->exec(kVersion3); }); !upgraded) {
            return upgraded;
        }
    }
    return success();
}

Status MockStore::transaction(const std::function<Status(SqliteDatabase&)>& work) {
    return m_commits->write(work);
}

Status MockStore::withDatabase(const std::function<Status(SqliteDatabase&)>& work) {
    return m_commits->read(work);
}

namespace {

/// Runs `body` through a group-commit call that answers only a Status (a read or a write) and
/// hands back the body's own Result, so that a failed commit and a failed body read the same.
template <typename T, typename Run, typename Body>
Result<T> carryResult(Run&& run, Body&& body) {
    std::optional<Result<T>> result;
    const Status status = run([&](SqliteDatabase&) -> Status {
        result.emplace(body());
        return result->ok() ? success() : Status(result->error());
    });
    if (!status) {
        return status.error();
    }
    return std::move(*result);
}

} // namespace

template <typename T, typename Query>
Result<T> MockStore::readResult(Query query) {
    return carryResult<T>([&](const GroupCommit::Work& work) { return m_commits->read(work); },
                          query);
}

template <typename T, typename Update>
Result<T> MockStore::writeResult(Update update) {
    return carryResult<T>([&](const GroupCommit::Work& work) { return m_commits->write(work); },
                          update);
}

template <typename Work>
Status MockStore::inTransaction(Work work) {
    if (auto begun = m_db->exec("BEGIN IMMEDIATE"); !begun) {
        return begun;
    }
    if (Status done = work(); !done) {
        (void)m_db->exec("ROLLBACK");
        return done;
    }
    return m_db->exec("COMMIT");
}

Status MockStore::insertJournal(const JournalEntry& entry) {
    auto statement =
        m_db->prepare("INSERT INTO journal (message_id, interaction, outcome, reply_code, "
                      "received_at, leg, recipient) VALUES (?, ?, ?, ?, ?, ?, ?)");
    return statement.bind(1, entry.messageId)
        .bind(2, entry.interaction)
        .bind(3, entry.outcome)
        .bind(4, entry.replyCode)
        .bind(5, entry.receivedAt)
        .bind(6, entry.leg)
        .bind(7, entry.recipient)
        .run();
}

Status MockStore::appendJournal(const JournalEntry& entry) {
    return m_commits->write([&](SqliteDatabase&) { return insertJournal(entry); });
}

Status MockStore::recordProcessed(const JournalEntry& entry, const StoredReply& reply,
                                  const std::optional<std::string>& acceptedPrescriptionId) {
    return m_commits->write([&](SqliteDatabase&) -> Status {
        auto insertReply = m_db->prepare("INSERT INTO replies (message_id, status, content_type, "
                                         "body, reply_code) VALUES (?, ?, ?, ?, ?)");
        auto stored = insertReply.bind(1, entry.messageId)
                          .bind(2, std::int64_t{reply.status})
                          .bind(3, reply.contentType)
                          .bindBlob(4, reply.body)
                          .bind(5, reply.replyCode)
                          .run();
        if (!stored) {
            return stored;
        }
        if (acceptedPrescriptionId) {
            auto insertPrescription = m_db->prepare(
                "INSERT INTO prescriptions (prescription_id, message_id) VALUES (?, ?)");
            auto accepted =
                insertPrescription.bind(1, *acceptedPrescriptionId).bind(2, entry.messageId).run();
            if (!accepted) {
                return accepted;
            }
        }
        return insertJournal(entry);
    });
}

Result<std::optional<StoredReply>> MockStore::findReply(const std::string& messageId) {
    return readResult<std::optional<StoredReply>>([&]() -> Result<std::optional<StoredReply>> {
        auto query = m_db->prepare(
            "SELECT status, content_type, body, reply_code FROM replies WHERE message_id = ?");
        query.bind(1, messageId);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return std::optional<StoredReply>();
        }
        StoredReply reply;
        reply.status = static_cast<int>(query.integer(0));
        reply.contentType = query.text(1);
        reply.body = query.text(2);
        reply.replyCode = query.text(3);
        return std::optional<StoredReply>(std::move(reply));
    });
}

Result<std::optional<std::string>>
MockStore::prescriptionAcceptedBy(const std::string& prescriptionId) {
    return readResult<std::optional<std::string>>([&]() -> Result<std::optional<std::string>> {
        auto query =
            m_db->prepare("SELECT message_id FROM prescriptions WHERE prescription_id = ?");
        query.bind(1, prescriptionId);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return std::optional<std::string>();
        }
        return std::optional<std::string>(query.text(0));
    });
}

Result<std::vector<JournalEntry>> MockStore::journal(const std::string& messageId) {
    return readResult<std::vector<JournalEntry>>([&]() -> Result<std::vector<JournalEntry>> {
        auto query = m_db->prepare(
            messageId.empty() ? "SELECT sequence, message_id, interaction, outcome, reply_code, "
                                "received_at, leg, recipient FROM journal ORDER BY sequence"
                              : "SELECT sequence, message_id, interaction, outcome, reply_code, "
                                "received_at, leg, recipient FROM journal WHERE message_id = ? "
                                "ORDER BY sequence");
        if (!messageId.empty()) {
            query.bind(1, messageId);
        }
        std::vector<JournalEntry> entries;
        while (true) {
            auto row = query.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                break;
            }
            entries.push_back(JournalEntry{query.integer(0), query.text(1), query.text(2),
                                           query.text(3), query.text(4), query.text(5),
                                           query.text(6), query.text(7)});
        }
        return entries;
    });
}

Result<bool> MockStore::upsertPractice(const Practice& practice) {
    return writeResult<bool>([&]() -> Result<bool> {
        auto owner = m_db->prepare("SELECT ods_code FROM practices WHERE party_key = ?");
        owner.bind(1, practice.partyKey);
        auto owned = owner.step();
        if (!owned) {
            return owned.error();
        }
        if (*owned && owner.text(0) != practice.odsCode) {
            return failure("partyKey", "is already registered for " + owner.text(0));
        }
        auto existing = m_db->prepare("SELECT 1 FROM practices WHERE ods_code = ?");
        existing.bind(1, practice.odsCode);
        auto found = existing.step();
        if (!found) {
            return found.error();
        }
        auto upsert = m_db->prepare(
            "INSERT INTO practices (ods_code, party_key, asid, inbound_url) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (ods_code) DO UPDATE SET party_key = excluded.party_key, "
            "asid = excluded.asid, inbound_url = excluded.inbound_url");
        auto stored = upsert.bind(1, practice.odsCode)
                          .bind(2, practice.partyKey)
                          .bind(3, practice.asid)
                          .bind(4, practice.inboundUrl)
                          .run();
        if (!stored) {
            return stored.error();
        }
        return !*found;
    });
}

Result<std::vector<Practice>> MockStore::practices() {
    return readResult<std::vector<Practice>>([&]() -> Result<std::vector<Practice>> {
        auto query = m_db->prepare(
            "SELECT ods_code, party_key, asid, inbound_url FROM practices ORDER BY ods_code");
        std::vector<Practice> all;
        while (true) {
            auto row = query.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return all;
            }
            all.push_back(readPractice(query));
        }
    });
}

Result<std::optional<Practice>> MockStore::practiceByOds(const std::string& odsCode) {
    return readResult<std::optional<Practice>>([&]() -> Result<std::optional<Practice>> {
        auto query = m_db->prepare(
            "SELECT ods_code, party_key, asid, inbound_url FROM practices WHERE ods_code = ?");
        query.bind(1, odsCode);
        return onePractice(query);
    });
}

Result<std::optional<Practice>> MockStore::practiceByPartyKey(const std::string& partyKey) {
    return readResult<std::optional<Practice>>([&]() -> Result<std::optional<Practice>> {
        auto query = m_db->prepare(
            "SELECT ods_code, party_key, asid, inbound_url FROM practices WHERE party_key = ?");
        query.bind(1, partyKey);
        return onePractice(query);
    });
}

Status MockStore::recordAccepted(const JournalEntry& entry, const ForwardRecord& forward,
                                 const StoredReply& ack) {
    return m_commits->write([&](SqliteDatabase&) -> Status {
        auto insert = m_db->prepare(
            "INSERT INTO forwards (message_id, interaction, conversation_id, sender, recipient, "
            "content_type, soap_action, body, ack_status, ack_content_type, ack_body, state, "
            "attempts, deliveries, accepted_at, next_attempt_at, expires_at, last_result) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        auto stored = insert.bind(1, forward.messageId)
                          .bind(2, forward.interaction)
                          .bind(3, forward.conversationId)
                          .bind(4, forward.sender)
                          .bind(5, forward.recipient)
                          .bind(6, forward.contentType)
                          .bind(7, forward.soapAction)
                          .bindBlob(8, forward.body)
                          .bind(9, std::int64_t{ack.status})
                          .bind(10, ack.contentType)
                          .bindBlob(11, ack.body)
                          .bind(12, forward.state)
                          .bind(13, std::int64_t{forward.attempts})
                          .bind(14, std::int64_t{forward.deliveries})
                          .bind(15, forward.acceptedAt)
                          .bind(16, forward.nextAttemptAt)
                          .bind(17, forward.expiresAt)
                          .bind(18, forward.lastResult)
                          .run();
        if (!stored) {
            return stored;
        }
        return insertJournal(entry);
    });
}

Result<std::optional<StoredReply>> MockStore::findForwardAck(const std::string& messageId) {
    return readResult<std::optional<StoredReply>>([&]() -> Result<std::optional<StoredReply>> {
        auto query = m_db->prepare(
            "SELECT ack_status, ack_content_type, ack_body FROM forwards WHERE message_id = ?");
        query.bind(1, messageId);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return std::optional<StoredReply>();
        }
        return std::optional<StoredReply>(
            StoredReply{static_cast<int>(query.integer(0)), query.text(1), query.text(2), "202"});
    });
}

Result<std::vector<ForwardRecord>> MockStore::forwards(bool pendingOnly) {
    return readResult<std::vector<ForwardRecord>>([&]() -> Result<std::vector<ForwardRecord>> {
        const std::string columns = kForwardColumns;
        auto query = m_db->prepare(
            pendingOnly
                ? "SELECT " + columns + " FROM forwards WHERE state = 'pending' ORDER BY sequence"
                : "SELECT " + columns + " FROM forwards ORDER BY sequence");
        std::vector<ForwardRecord> records;
        while (true) {
            auto row = query.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return records;
            }
            records.push_back(readForward(query));
        }
    });
}

Result<std::string> MockStore::forwardBody(const std::string& messageId) {
    return readResult<std::string>([&]() -> Result<std::string> {
        auto query = m_db->prepare("SELECT body FROM forwards WHERE message_id = ?");
        query.bind(1, messageId);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return failure("messageId", "no forward for " + messageId);
        }
        return query.text(0);
    });
}

Status MockStore::recordProgress(const std::string& messageId, const ForwardProgress& progress,
                                 const std::vector<JournalEntry>& entries) {
    return m_commits->write([&](SqliteDatabase&) -> Status {
        // Once delivery has ended the body is of no further use; up to 10 MB each, it goes.
        auto update = m_db->prepare(
            "UPDATE forwards SET state = ?, attempts = ?, deliveries = ?, next_attempt_at = ?, "
            "last_result = ?, body = CASE WHEN ? = 'pending' THEN body ELSE X'' END "
            "WHERE message_id = ?");
        auto updated = update.bind(1, progress.state)
                           .bind(2, std::int64_t{progress.attempts})
                           .bind(3, std::int64_t{progress.deliveries})
                           .bind(4, progress.nextAttemptAt)
                           .bind(5, progress.lastResult)
                           .bind(6, progress.state)
                           .bind(7, messageId)
                           .run();
        if (!updated) {
            return updated;
        }
        for (const auto& entry : entries) {
            if (auto journaled = insertJournal(entry); !journaled) {
                return journaled;
            }
        }
        return success();
    });
}

} // namespace gp::mock
