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

} // namespace

MockStore::MockStore(const std::string& stateDir) {
    Poco::File(stateDir).createDirectories();
    m_db =
        std::make_unique<SqliteDatabase>(Poco::Path(stateDir).append("spine-mock.db").toString());
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", kSchema}) {
        if (auto status = m_db->exec(pragma); !status) {
            throw std::runtime_error("cannot prepare the database in " + stateDir + ": " +
                                     status.error().message);
        }
    }
}

MockStore::~MockStore() = default;

Status MockStore::insertJournal(const JournalEntry& entry) {
    auto statement = m_db->prepare("INSERT INTO journal (message_id, interaction, outcome, "
                                   "reply_code, received_at) VALUES (?, ?, ?, ?, ?)");
    return statement.bind(1, entry.messageId)
        .bind(2, entry.interaction)
        .bind(3, entry.outcome)
        .bind(4, entry.replyCode)
        .bind(5, entry.receivedAt)
        .run();
}

Status MockStore::appendJournal(const JournalEntry& entry) {
    std::lock_guard lock(m_mutex);
    return insertJournal(entry);
}

Status MockStore::recordProcessed(const JournalEntry& entry, const StoredReply& reply,
                                  const std::optional<std::string>& acceptedPrescriptionId) {
    std::lock_guard lock(m_mutex);
    if (auto begun = m_db->exec("BEGIN IMMEDIATE"); !begun) {
        return begun;
    }
    auto work = [&]() -> Status {
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
    };
    if (auto done = work(); !done) {
        (void)m_db->exec("ROLLBACK");
        return done;
    }
    return m_db->exec("COMMIT");
}

Result<std::optional<StoredReply>> MockStore::findReply(const std::string& messageId) {
    std::lock_guard lock(m_mutex);
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
}

Result<std::optional<std::string>>
MockStore::prescriptionAcceptedBy(const std::string& prescriptionId) {
    std::lock_guard lock(m_mutex);
    auto query = m_db->prepare("SELECT message_id FROM prescriptions WHERE prescription_id = ?");
    query.bind(1, prescriptionId);
    auto row = query.step();
    if (!row) {
        return row.error();
    }
    if (!*row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(query.text(0));
}

Result<std::vector<JournalEntry>> MockStore::journal(const std::string& messageId) {
    std::lock_guard lock(m_mutex);
    auto query = m_db->prepare(
        messageId.empty()
            ? "SELECT sequence, message_id, interaction, outcome, reply_code, received_at "
              "FROM journal ORDER BY sequence"
            : "SELECT sequence, message_id, interaction, outcome, reply_code, received_at "
              "FROM journal WHERE message_id = ? ORDER BY sequence");
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
                                       query.text(3), query.text(4), query.text(5)});
    }
    return entries;
}

} // namespace gp::mock
