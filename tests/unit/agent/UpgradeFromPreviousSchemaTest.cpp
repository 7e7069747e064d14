// An upgrade of the package: the new gp-agent opens the database the previous release left, full of
// work in every state, and migrates it forward on start. Nothing may be lost, altered, or break
// the audit chain. The previous version is taken from the migration list (every migration but
// the newest), so this test follows each new migration without being edited.

#include "../../../agent/src/store/AuditChain.hpp"
#include "../../../agent/src/store/Migrations.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;

namespace {

std::vector<sqlite::Migration> migrationsInOrder() {
    auto all = sqlite::migrations();
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.version < b.version; });
    return all;
}

int latestVersion() {
    return migrationsInOrder().back().version;
}

// The schema the previous release left: every migration but the newest, recorded as applied.
void createPreviousSchema(test::RawDatabase& raw) {
    raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
             " applied_at INTEGER NOT NULL)");
    for (const auto& migration : migrationsInOrder()) {
        if (migration.version < latestVersion()) {
            raw.exec(std::string(migration.sql));
            raw.exec("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                     std::to_string(migration.version) + ", 5)");
        }
    }
}

std::string sqlQuoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        out += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return out + "'";
}

// The audit trail the previous release wrote: each row hashed onto the one before.
class AuditWriter {
public:
    AuditWriter(test::RawDatabase& raw, std::int64_t at) : m_raw(raw), m_at(at) {}

    void add(const std::string& actor, const std::string& event, const std::string& messageId,
             const std::string& detail) {
        ++m_seq;
        ++m_at;
        sqlite::AuditFields fields;
        fields.prevHash = m_prevHash;
        fields.seq = m_seq;
        fields.atMillis = m_at;
        fields.actor = actor;
        fields.event = event;
        fields.messageId = messageId;
        fields.detail = detail;
        const std::string hash = sqlite::auditHash(fields);
        m_raw.exec("INSERT INTO audit (seq, at, actor, event, message_id, detail, prev_hash, hash)"
                   " VALUES (" +
                   std::to_string(m_seq) + ", " + std::to_string(m_at) + ", " + sqlQuoted(actor) +
                   ", " + sqlQuoted(event) + ", " + sqlQuoted(messageId) + ", " +
                   sqlQuoted(detail) + ", " + sqlQuoted(m_prevHash) + ", " + sqlQuoted(hash) + ")");
        m_prevHash = hash;
    }
    std::int64_t rows() const { return m_seq; }

private:
    test::RawDatabase& m_raw;
    std::int64_t m_at;
    std::int64_t m_seq = 0;
    std::string m_prevHash;
};

struct SeededMessage {
    std::string id;
    std::string state;
};

// Messages in every state, with their audit rows; EPS, GP2GP, inbox and e-RS rows beside them.
std::vector<SeededMessage> populate(test::RawDatabase& raw, std::int64_t now) {
    const std::vector<SeededMessage> messages = {
        {"MSG-QUEUED", "queued"}, {"MSG-RETRY", "retry-wait"}, {"MSG-SENDING", "sending"},
        {"MSG-ACKED", "acked"},   {"MSG-FAILED", "failed"},    {"MSG-EXPIRED", "expired"},
    };
    AuditWriter audit(raw, now - 100000);
    const std::string n = std::to_string(now);
    const std::string hourAhead = std::to_string(now + 3600000);
    for (const auto& message : messages) {
        const bool waiting = message.state == "queued" || message.state == "retry-wait";
        const std::string nextAttempt =
            message.state == "retry-wait" ? std::to_string(now + 60000) : (waiting ? n : "NULL");
        const std::string lease = message.state == "sending"
                                      ? "'worker-of-a-crashed-run', " + std::to_string(now - 1000)
                                      : "NULL, NULL";
        const std::string error = message.state == "failed"       ? "'0002', 'duplicate', " + n
                                  : message.state == "retry-wait" ? "'http-503', 'HTTP 503', " + n
                                                                  : "NULL, NULL, NULL";
        raw.exec("INSERT INTO messages (message_id, conversation_id, interaction, service,"
                 " business_id, endpoint, soap_action, content_type, body, state, attempts,"
                 " created_at, updated_at, expires_at, next_attempt_at, acked_at, lease_owner,"
                 " lease_until, last_error_code, last_error_text, last_error_at, kind,"
                 " reply_status) VALUES (" +
                 sqlQuoted(message.id) + ", " + sqlQuoted("CONV-" + message.id) +
                 ", 'PORX_IN020101SM31', 'urn:nhs:names:services:mm', 'B-" + message.id +
                 "', 'https://spine/reliablemessaging/reliablerequest',"
                 " 'urn:nhs:names:services:mm/PORX_IN020101SM31', 'multipart/related',"
                 " x'626F647900FF', " +
                 sqlQuoted(message.state) + ", " +
                 (waiting && message.state == "queued" ? "0" : "1") + ", " + n + ", " + n + ", " +
                 hourAhead + ", " + nextAttempt + ", " + (message.state == "acked" ? n : "NULL") +
                 ", " + lease + ", " + error + ", 'ebxml', " +
                 (message.state == "acked" ? "200" : "NULL") + ")");
        audit.add("api", "accepted", message.id, "interaction PORX_IN020101SM31");
        if (message.state != "queued") {
            audit.add("dispatcher", "sending", message.id, "attempt 1");
        }
        if (message.state != "queued" && message.state != "sending") {
            audit.add("dispatcher", message.state, message.id, "outcome of attempt 1");
        }
    }
    audit.add("agent", "started", "", "");

    raw.exec("INSERT INTO eps_prescriptions (prescription_id, prescription_uuid, message_id,"
             " nhs_number, prescriber, created_at) VALUES ('9D6C1A-A83008-4E2B1Y', 'UUID-1',"
             " 'MSG-ACKED', '9990000018', 'G1234567', " +
             n + ")");
    raw.exec("INSERT INTO eps_items (prescription_id, line_item_id, position, state, code,"
             " prescription_message_id, updated_at) VALUES ('9D6C1A-A83008-4E2B1Y', 'ITEM-1', 1,"
             " 'active', '0001', 'MSG-ACKED', " +
             n + ")");
    raw.exec("INSERT INTO conversations (conversation_id, role, state, nhs_number, local_ods,"
             " remote_ods, request_message_id, deadline, parts_expected, parts_done,"
             " created_at, updated_at, data) VALUES ('CONV-GP2GP', 'requester',"
             " 'receiving-parts', '9990000018', 'A83008', 'B86041', 'MSG-RETRY', " +
             hourAhead + ", 3, 1, " + n + ", " + n + ", '{\"note\":\"x\"}')");
    raw.exec("INSERT INTO conversation_parts (conversation_id, part_id, kind, sequence, filename,"
             " content_type, expected_bytes, state, file) VALUES ('CONV-GP2GP', 'PART-1',"
             " 'fragment', 1, 'letter.pdf', 'application/pdf', 1024, 'received',"
             " 'gp2gp/CONV-GP2GP/PART-1')");
    raw.exec("INSERT INTO inbox (message_id, conversation_id, service, interaction, from_party,"
             " content_type, body_file, body_bytes, received_at, keep_until, ack_status,"
             " ack_content_type, ack_body, state) VALUES ('IN-1', 'CONV-GP2GP',"
             " 'urn:nhs:names:services:gp2gp', 'COPC_IN000001UK01', 'B86041-822103',"
             " 'multipart/related', 'inbox/IN-1', 2048, " +
             n + ", " + hourAhead + ", 202, 'text/xml', x'3C61636B2F3E', 'processed')");
    raw.exec("INSERT INTO ers_requests (request_id, state, nhs_number, service_ids, ubrn,"
             " created_at, updated_at) VALUES ('ERS-1', 'complete', '9990000018', 'SVC-1',"
             " '000000070000', " +
             n + ", " + n + ")");
    raw.exec("INSERT INTO ers_steps (request_id, seq, step, message_id, state, created_at,"
             " updated_at) VALUES ('ERS-1', 1, 'create', 'MSG-ACKED', 'done', " +
             n + ", " + n + ")");
    return messages;
}

std::vector<std::string> splitList(const std::string& text) {
    std::vector<std::string> items;
    std::istringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
        items.push_back(item);
    }
    return items;
}

// Every table's columns as the previous schema has them.
std::map<std::string, std::vector<std::string>> columnsByTable(test::RawDatabase& raw) {
    std::map<std::string, std::vector<std::string>> columns;
    for (const auto& table :
         splitList(raw.scalar("SELECT group_concat(name) FROM sqlite_master WHERE type = 'table'"
                              " AND name NOT LIKE 'sqlite_%'"))) {
        columns[table] = splitList(
            raw.scalar("SELECT group_concat(name) FROM pragma_table_info('" + table + "')"));
    }
    return columns;
}

// A table's rows up to `lastRowid`, those columns only, in rowid order, as one text (blobs as
// hex literals). Rows the migrations add (schema_migrations' own) come after `lastRowid`.
std::string contentOf(test::RawDatabase& raw, const std::string& table,
                      const std::vector<std::string>& columns, const std::string& lastRowid) {
    std::string row;
    for (const auto& column : columns) {
        row += (row.empty() ? "" : " || '|' || ") + std::string("quote(") + column + ")";
    }
    return raw.scalar("SELECT group_concat(r, char(10)) FROM (SELECT " + row + " AS r FROM " +
                      table + " WHERE rowid <= " + lastRowid + " ORDER BY rowid)");
}

std::string lastRowidOf(test::RawDatabase& raw, const std::string& table) {
    return raw.scalar("SELECT COALESCE(MAX(rowid), 0) FROM " + table);
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("a populated store of the previous schema version upgrades with every row kept and "
              "the audit chain intact") {
        REQUIRE(migrationsInOrder().size() >= 2);
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("gp-agent.db");
        const std::int64_t now = toEpochMillis(clock.now());

        std::vector<SeededMessage> messages;
        std::map<std::string, std::vector<std::string>> oldColumns;
        std::map<std::string, std::string> oldContent;
        std::map<std::string, std::string> lastRowid;
        {
            test::RawDatabase raw(file);
            createPreviousSchema(raw);
            messages = populate(raw, now);
            oldColumns = columnsByTable(raw);
            for (const auto& [table, columns] : oldColumns) {
                lastRowid[table] = lastRowidOf(raw, table);
                oldContent[table] = contentOf(raw, table, columns, lastRowid[table]);
            }
        }
        const std::int64_t auditRows = static_cast<std::int64_t>(
            std::stoll(test::RawDatabase(file).scalar("SELECT COUNT(*) FROM audit")));

        auto store = openSqliteStore(file, clock);

        test::RawDatabase raw(file);
        CHECK(raw.scalar("SELECT MAX(version) FROM schema_migrations") ==
              std::to_string(latestVersion()));
        for (const auto& [table, columns] : oldColumns) {
            INFO("table " << table);
            // Every row and every value the previous release wrote is still there, unchanged.
            CHECK(contentOf(raw, table, columns, lastRowid[table]) == oldContent[table]);
            // Columns the newest migration added hold their declared default in the old rows.
            for (const auto& column : splitList(raw.scalar(
                     "SELECT group_concat(name) FROM pragma_table_info('" + table + "')"))) {
                if (std::find(columns.begin(), columns.end(), column) != columns.end()) {
                    continue;
                }
                INFO("new column " << column);
                const std::string declared =
                    raw.scalar("SELECT COALESCE(dflt_value, 'NULL') FROM pragma_table_info('" +
                               table + "') WHERE name = '" + column + "'");
                CHECK(raw.scalar("SELECT COUNT(*) FROM " + table +
                                 " WHERE rowid <= " + lastRowid[table] + " AND " + column +
                                 " IS NOT (" + declared + ")") == "0");
            }
        }

        for (const auto& message : messages) {
            const auto record = store->findMessage(message.id);
            REQUIRE_MESSAGE(record.has_value(), message.id);
            CHECK(test::stateName(record->state) == message.state);
        }
        const auto conversation = store->findConversation("CONV-GP2GP");
        REQUIRE(conversation.has_value());
        CHECK(store->partsOf("CONV-GP2GP").size() == 1);
        CHECK(store->findInbound("IN-1").has_value());
        CHECK(store->itemsOf("9D6C1A-A83008-4E2B1Y").size() == 1);
        CHECK(store->findErsRequest("ERS-1").has_value());

        const auto verified = store->verifyAudit();
        CHECK_MESSAGE(verified.intact, verified.reason);
        CHECK(verified.rowsChecked == auditRows);

        // The new release carries on: the queued message and the one a crashed run left
        // `sending` are claimed, and its audit rows chain onto the previous release's.
        const auto claimed = store->claimDue("worker-1", 30s, 10);
        REQUIRE(claimed.ok());
        CHECK(claimed->size() == 2);
        const auto after = store->verifyAudit();
        CHECK_MESSAGE(after.intact, after.reason);
        CHECK(after.rowsChecked > auditRows);
    }
}
