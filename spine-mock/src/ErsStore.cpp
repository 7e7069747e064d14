#include "Sqlite.hpp"

#include <gp/mock/ErsStore.hpp>

namespace gp::mock {

namespace {

constexpr const char* kReferralColumns =
    "ubrn, correlation_id, nhs_number, ods_code, priority, status, version, services, "
    "attachments, created_at, updated_at";

// Ids are digits or "att-" plus hex, so a comma never occurs inside one.
std::string joinIds(const std::vector<std::string>& ids) {
    std::string joined;
    for (const auto& id : ids) {
        joined += (joined.empty() ? "" : ",") + id;
    }
    return joined;
}

std::vector<std::string> splitIds(const std::string& joined) {
    std::vector<std::string> ids;
    std::size_t start = 0;
    while (start < joined.size()) {
        const auto comma = joined.find(',', start);
        const auto end = comma == std::string::npos ? joined.size() : comma;
        if (end > start) {
            ids.push_back(joined.substr(start, end - start));
        }
        start = end + 1;
    }
    return ids;
}

ErsReferral readReferral(const SqliteStatement& row) {
    ErsReferral referral;
    referral.ubrn = row.text(0);
    referral.correlationId = row.text(1);
    referral.nhsNumber = row.text(2);
    referral.odsCode = row.text(3);
    referral.priority = row.text(4);
    referral.status = row.text(5);
    referral.version = static_cast<int>(row.integer(6));
    referral.services = splitIds(row.text(7));
    referral.attachments = splitIds(row.text(8));
    referral.createdAt = row.text(9);
    referral.updatedAt = row.text(10);
    return referral;
}

Status insertJournal(SqliteDatabase& db, const JournalEntry& entry) {
    auto statement =
        db.prepare("INSERT INTO journal (message_id, interaction, outcome, reply_code, "
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

} // namespace

Result<std::optional<ErsReferral>> ErsStore::referral(const std::string& ubrn) {
    std::optional<ErsReferral> found;
    auto status = m_store.withDatabase([&](SqliteDatabase& db) -> Status {
        auto query = db.prepare(std::string("SELECT ") + kReferralColumns +
                                " FROM ers_referrals WHERE ubrn = ?");
        query.bind(1, ubrn);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (*row) {
            found = readReferral(query);
        }
        return success();
    });
    if (!status) {
        return status.error();
    }
    return found;
}

Result<std::vector<ErsReferral>> ErsStore::referrals(const std::string& odsCode,
                                                     const std::string& correlationId) {
    std::vector<ErsReferral> all;
    auto status = m_store.withDatabase([&](SqliteDatabase& db) -> Status {
        // An empty filter matches every row, so one statement serves all four cases.
        auto query = db.prepare(std::string("SELECT ") + kReferralColumns +
                                " FROM ers_referrals WHERE (? = '' OR ods_code = ?) AND "
                                "(? = '' OR correlation_id = ?) ORDER BY rowid");
        query.bind(1, odsCode).bind(2, odsCode).bind(3, correlationId).bind(4, correlationId);
        while (true) {
            auto row = query.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                return success();
            }
            all.push_back(readReferral(query));
        }
    });
    if (!status) {
        return status.error();
    }
    return all;
}

Status ErsStore::createReferral(const ErsReferral& referral, const JournalEntry& entry) {
    return m_store.transaction([&](SqliteDatabase& db) -> Status {
        auto insert = db.prepare(std::string("INSERT INTO ers_referrals (") + kReferralColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        auto stored = insert.bind(1, referral.ubrn)
                          .bind(2, referral.correlationId)
                          .bind(3, referral.nhsNumber)
                          .bind(4, referral.odsCode)
                          .bind(5, referral.priority)
                          .bind(6, referral.status)
                          .bind(7, std::int64_t{referral.version})
                          .bind(8, joinIds(referral.services))
                          .bind(9, joinIds(referral.attachments))
                          .bind(10, referral.createdAt)
                          .bind(11, referral.updatedAt)
                          .run();
        if (!stored) {
            return stored;
        }
        return insertJournal(db, entry);
    });
}

Status ErsStore::updateReferral(const ErsReferral& referral, const JournalEntry& entry) {
    return m_store.transaction([&](SqliteDatabase& db) -> Status {
        auto update = db.prepare("UPDATE ers_referrals SET status = ?, version = ?, "
                                 "attachments = ?, updated_at = ? WHERE ubrn = ?");
        auto stored = update.bind(1, referral.status)
                          .bind(2, std::int64_t{referral.version})
                          .bind(3, joinIds(referral.attachments))
                          .bind(4, referral.updatedAt)
                          .bind(5, referral.ubrn)
                          .run();
        if (!stored) {
            return stored;
        }
        return insertJournal(db, entry);
    });
}

Status ErsStore::addBinary(const ErsBinary& binary, const JournalEntry& entry) {
    return m_store.transaction([&](SqliteDatabase& db) -> Status {
        auto insert = db.prepare(
            "INSERT INTO ers_binaries (binary_id, content_type, file_name, referral_id, size, "
            "sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
        auto stored = insert.bind(1, binary.id)
                          .bind(2, binary.contentType)
                          .bind(3, binary.fileName)
                          .bind(4, binary.referralId)
                          .bind(5, binary.size)
                          .bind(6, binary.sha256)
                          .bind(7, binary.createdAt)
                          .run();
        if (!stored) {
            return stored;
        }
        return insertJournal(db, entry);
    });
}

Result<std::optional<ErsBinary>> ErsStore::binary(const std::string& id) {
    std::optional<ErsBinary> found;
    auto status = m_store.withDatabase([&](SqliteDatabase& db) -> Status {
        auto query = db.prepare("SELECT binary_id, content_type, file_name, referral_id, size, "
                                "sha256, created_at FROM ers_binaries WHERE binary_id = ?");
        query.bind(1, id);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (*row) {
            found = ErsBinary{query.text(0),    query.text(1), query.text(2), query.text(3),
                              query.integer(4), query.text(5), query.text(6)};
        }
        return success();
    });
    if (!status) {
        return status.error();
    }
    return found;
}

} // namespace gp::mock
