#include "SqliteStore.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"

#include <string>

namespace gp::agent::sqlite {

namespace {

constexpr std::string_view kItemColumns =
    "prescription_id, line_item_id, state, code, text, prescription_message_id,"
    " cancel_message_id, cancel_reason, updated_at";

EpsItem readItem(const Statement& row) {
    EpsItem item;
    item.prescriptionId = row.text(0);
    item.lineItemId = row.text(1);
    item.state = row.text(2);
    item.code = row.text(3);
    item.text = row.text(4);
    item.prescriptionMessageId = row.text(5);
    item.cancelMessageId = row.text(6);
    item.cancelReason = row.text(7);
    item.updatedAt = fromEpochMillis(row.integer(8));
    return item;
}

std::vector<EpsItem> readItems(Statement& query) {
    std::vector<EpsItem> items;
    while (query.step()) {
        items.push_back(readItem(query));
    }
    return items;
}

} // namespace

Status SqliteStore::recordPrescription(const EpsPrescription& prescription,
                                       const std::vector<EpsItem>& items,
                                       const OutboundMessage& message, const AuditEvent& event) {
    return write<Unit>("recordPrescription", [&]() -> Status {
        const TimePoint now = m_clock.now();
        const Status inserted = insertOutbound(message, message.createdAt, now);
        if (!inserted) {
            return inserted;
        }
        Statement exists(m_database,
                         "SELECT message_id FROM eps_prescriptions WHERE prescription_id = ?1");
        exists.bind(1, prescription.prescriptionId);
        if (exists.step() && !exists.text(0).empty()) {
            // Sent from here before. Spine decides about the new message (a duplicate gets
            // 0002), so it is queued; the items stay with the earlier message unless that one
            // never got through, in which case this one takes them over.
            Statement live(m_database, "SELECT COUNT(*) FROM eps_items WHERE prescription_id = ?1"
                                       " AND state NOT IN ('rejected', 'undelivered')");
            live.bind(1, prescription.prescriptionId);
            live.step();
            if (live.integer(0) > 0) {
                appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                            message.messageId, event.detail, event.nhsNumber);
                return success();
            }
            Statement forget(m_database, "DELETE FROM eps_items WHERE prescription_id = ?1");
            forget.bind(1, prescription.prescriptionId).run();
        }
        // Known from an earlier cancellation only, or not at all.
        Statement upsertPrescription(
            m_database,
            "INSERT INTO eps_prescriptions (prescription_id, prescription_uuid, message_id,"
            " nhs_number, prescriber, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            " ON CONFLICT (prescription_id) DO UPDATE SET"
            " prescription_uuid = excluded.prescription_uuid, message_id = excluded.message_id,"
            " nhs_number = excluded.nhs_number, prescriber = excluded.prescriber");
        upsertPrescription.bind(1, prescription.prescriptionId)
            .bind(2, prescription.prescriptionUuid)
            .bind(3, prescription.messageId)
            .bind(4, prescription.nhsNumber)
            .bind(5, prescription.prescriberJson)
            .bind(6, toEpochMillis(now))
            .run();
        std::int64_t position = 0;
        for (const EpsItem& item : items) {
            // An item cancelled before its prescription was sent keeps its cancellation state.
            Statement upsert(
                m_database,
                sql({"INSERT INTO eps_items (", kItemColumns,
                     ", position) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', '', ?7, ?8)"
                     " ON CONFLICT (prescription_id, line_item_id) DO UPDATE SET"
                     " prescription_message_id = excluded.prescription_message_id,"
                     " position = excluded.position, updated_at = excluded.updated_at"}));
            upsert.bind(1, item.prescriptionId)
                .bind(2, item.lineItemId)
                .bind(3, item.state)
                .bind(4, item.code)
                .bind(5, item.text)
                .bind(6, item.prescriptionMessageId)
                .bind(7, toEpochMillis(now))
                .bind(8, position++)
                .run();
        }
        appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

Status SqliteStore::recordCancellation(const EpsItem& item, const std::string& nhsNumber,
                                       const OutboundMessage& message, const AuditEvent& event) {
    return write<Unit>("recordCancellation", [&]() -> Status {
        const TimePoint now = m_clock.now();
        const Status inserted = insertOutbound(message, message.createdAt, now);
        if (!inserted) {
            return inserted;
        }
        Statement prescription(m_database,
                               "INSERT INTO eps_prescriptions (prescription_id, nhs_number,"
                               " created_at) VALUES (?1, ?2, ?3)"
                               " ON CONFLICT (prescription_id) DO NOTHING");
        prescription.bind(1, item.prescriptionId)
            .bind(2, nhsNumber)
            .bind(3, toEpochMillis(now))
            .run();
        Statement upsert(
            m_database,
            sql({"INSERT INTO eps_items (", kItemColumns,
                 ", position) VALUES (?1, ?2, ?3, '', '', '', ?4, ?5, ?6,"
                 " (SELECT COUNT(*) FROM eps_items WHERE prescription_id = ?1))"
                 " ON CONFLICT (prescription_id, line_item_id) DO UPDATE SET"
                 " state = excluded.state, code = '', text = '',"
                 " cancel_message_id = excluded.cancel_message_id,"
                 " cancel_reason = excluded.cancel_reason, updated_at = excluded.updated_at"}));
        upsert.bind(1, item.prescriptionId)
            .bind(2, item.lineItemId)
            .bind(3, item.state)
            .bind(4, item.cancelMessageId)
            .bind(5, item.cancelReason)
            .bind(6, toEpochMillis(now))
            .run();
        appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

std::optional<EpsPrescription> SqliteStore::findPrescription(const std::string& prescriptionId) {
    return read<std::optional<EpsPrescription>>(
        "findPrescription", std::nullopt, [&](Database& db) -> std::optional<EpsPrescription> {
            Statement query(db, "SELECT prescription_id, prescription_uuid, message_id,"
                                " nhs_number, prescriber, created_at"
                                " FROM eps_prescriptions WHERE prescription_id = ?1");
            query.bind(1, prescriptionId);
            if (!query.step()) {
                return std::nullopt;
            }
            EpsPrescription prescription;
            prescription.prescriptionId = query.text(0);
            prescription.prescriptionUuid = query.text(1);
            prescription.messageId = query.text(2);
            prescription.nhsNumber = query.text(3);
            prescription.prescriberJson = query.text(4);
            prescription.createdAt = fromEpochMillis(query.integer(5));
            return prescription;
        });
}

std::vector<EpsItem> SqliteStore::itemsOf(const std::string& prescriptionId) {
    return read<std::vector<EpsItem>>("itemsOf", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kItemColumns,
                                 " FROM eps_items WHERE prescription_id = ?1"
                                 " ORDER BY position, rowid"}));
        query.bind(1, prescriptionId);
        return readItems(query);
    });
}

std::vector<EpsItem> SqliteStore::itemsByMessage(const std::string& messageId) {
    if (messageId.empty()) {
        return {};
    }
    return read<std::vector<EpsItem>>("itemsByMessage", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kItemColumns,
                                 " FROM eps_items WHERE prescription_message_id = ?1"
                                 " OR cancel_message_id = ?1 ORDER BY prescription_id, position"}));
        query.bind(1, messageId);
        return readItems(query);
    });
}

Status SqliteStore::updateItems(const std::vector<EpsItem>& items, const AuditEvent& event) {
    return write<Unit>("updateItems", [&]() -> Status {
        const TimePoint now = m_clock.now();
        for (const EpsItem& item : items) {
            Statement update(
                m_database, "UPDATE eps_items SET state = ?3, code = ?4, text = ?5, updated_at = ?6"
                            " WHERE prescription_id = ?1 AND line_item_id = ?2");
            update.bind(1, item.prescriptionId)
                .bind(2, item.lineItemId)
                .bind(3, item.state)
                .bind(4, item.code)
                .bind(5, item.text)
                .bind(6, toEpochMillis(now))
                .run();
            if (m_database.changes() == 0) {
                return failure("lineItemId", "no item " + item.lineItemId + " of prescription " +
                                                 item.prescriptionId);
            }
        }
        appendAudit(now, event.actor, event.event, event.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

std::vector<MessageRecord> SqliteStore::epsMessagesOf(const std::string& prescriptionId) {
    return read<std::vector<MessageRecord>>("epsMessagesOf", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kRecordColumns,
                                 " FROM messages WHERE business_id = ?1"
                                 " AND service = 'urn:nhs:names:services:mm'"
                                 " ORDER BY created_at, rowid"}));
        query.bind(1, prescriptionId);
        std::vector<MessageRecord> records;
        while (query.step()) {
            records.push_back(readRecord(query));
        }
        return records;
    });
}

} // namespace gp::agent::sqlite
