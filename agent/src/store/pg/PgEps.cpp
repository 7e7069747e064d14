#include "../StoreRows.hpp"
#include "PgRows.hpp"
#include "PgStore.hpp"

#include <string>

namespace gp::agent::pg {

using sqlite::kRecordColumns;
using sqlite::sql;

namespace {

constexpr std::string_view kItemColumns =
    "prescription_id, line_item_id, state, code, text, prescription_message_id,"
    " cancel_message_id, cancel_reason, updated_at";

std::vector<EpsItem> readItems(const Rows& rows) {
    std::vector<EpsItem> items;
    items.reserve(static_cast<std::size_t>(rows.count()));
    for (int row = 0; row < rows.count(); ++row) {
        EpsItem item;
        item.prescriptionId = rows.text(row, 0);
        item.lineItemId = rows.text(row, 1);
        item.state = rows.text(row, 2);
        item.code = rows.text(row, 3);
        item.text = rows.text(row, 4);
        item.prescriptionMessageId = rows.text(row, 5);
        item.cancelMessageId = rows.text(row, 6);
        item.cancelReason = rows.text(row, 7);
        item.updatedAt = fromEpochMillis(rows.integer(row, 8));
        items.push_back(std::move(item));
    }
    return items;
}

} // namespace

Status PgStore::recordPrescription(const EpsPrescription& prescription,
                                   const std::vector<EpsItem>& items,
                                   const OutboundMessage& message, const AuditEvent& event) {
    return write<Unit>("recordPrescription", [&]() -> Status {
        const TimePoint now = m_clock.now();
        Connection& db = writer();
        const Status inserted = insertOutbound(message, message.createdAt, now);
        if (!inserted) {
            return inserted;
        }
        // The prescription's row exists from here on and is locked until the commit: of two
        // instances recording the same prescription at once, the second waits and then sees the
        // first's message, as it would one after the other.
        db.query("INSERT INTO eps_prescriptions (prescription_id, created_at) VALUES ($1, $2)"
                 " ON CONFLICT (prescription_id) DO NOTHING",
                 Params().text(prescription.prescriptionId).integer(toEpochMillis(now)));
        const Rows sent = db.query("SELECT message_id FROM eps_prescriptions"
                                   " WHERE prescription_id = $1 FOR UPDATE",
                                   Params().text(prescription.prescriptionId));
        if (sent.count() > 0 && !sent.text(0, 0).empty()) {
            // Sent from here before. Spine decides about the new message (a duplicate gets
            // 0002), so it is queued; the items stay with the earlier message unless that one
            // never got through, in which case this one takes them over.
            const Rows live = db.query("SELECT COUNT(*) FROM eps_items WHERE prescription_id = $1"
                                       " AND state NOT IN ('rejected', 'undelivered')",
                                       Params().text(prescription.prescriptionId));
            if (live.integer(0, 0) > 0) {
                appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                            message.messageId, event.detail, event.nhsNumber);
                return success();
            }
            db.query("DELETE FROM eps_items WHERE prescription_id = $1",
                     Params().text(prescription.prescriptionId));
        }
        // Known from an earlier cancellation only, or not at all (the row just inserted).
        db.query("UPDATE eps_prescriptions SET prescription_uuid = $2, message_id = $3,"
                 " nhs_number = $4, prescriber = $5 WHERE prescription_id = $1",
                 Params()
                     .text(prescription.prescriptionId)
                     .text(prescription.prescriptionUuid)
                     .text(prescription.messageId)
                     .text(prescription.nhsNumber)
                     .text(prescription.prescriberJson));
        std::int64_t position = 0;
        for (const EpsItem& item : items) {
            // An item cancelled before its prescription was sent keeps its cancellation state.
            db.query(sql({"INSERT INTO eps_items (", kItemColumns,
                          ", position) VALUES ($1, $2, $3, $4, $5, $6, '', '', $7, $8)"
                          " ON CONFLICT (prescription_id, line_item_id) DO UPDATE SET"
                          " prescription_message_id = excluded.prescription_message_id,"
                          " position = excluded.position, updated_at = excluded.updated_at"}),
                     Params()
                         .text(item.prescriptionId)
                         .text(item.lineItemId)
                         .text(item.state)
                         .text(item.code)
                         .text(item.text)
                         .text(item.prescriptionMessageId)
                         .integer(toEpochMillis(now))
                         .integer(position++));
        }
        appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

Status PgStore::recordCancellation(const EpsItem& item, const std::string& nhsNumber,
                                   const OutboundMessage& message, const AuditEvent& event) {
    return write<Unit>("recordCancellation", [&]() -> Status {
        const TimePoint now = m_clock.now();
        Connection& db = writer();
        const Status inserted = insertOutbound(message, message.createdAt, now);
        if (!inserted) {
            return inserted;
        }
        db.query("INSERT INTO eps_prescriptions (prescription_id, nhs_number, created_at)"
                 " VALUES ($1, $2, $3) ON CONFLICT (prescription_id) DO NOTHING",
                 Params().text(item.prescriptionId).text(nhsNumber).integer(toEpochMillis(now)));
        db.query(sql({"INSERT INTO eps_items (", kItemColumns,
                      ", position) VALUES ($1, $2, $3, '', '', '', $4, $5, $6,"
                      " (SELECT COUNT(*) FROM eps_items WHERE prescription_id = $1))"
                      " ON CONFLICT (prescription_id, line_item_id) DO UPDATE SET"
                      " state = excluded.state, code = '', text = '',"
                      " cancel_message_id = excluded.cancel_message_id,"
                      " cancel_reason = excluded.cancel_reason, updated_at = excluded.updated_at"}),
                 Params()
                     .text(item.prescriptionId)
                     .text(item.lineItemId)
                     .text(item.state)
                     .text(item.cancelMessageId)
                     .text(item.cancelReason)
                     .integer(toEpochMillis(now)));
        appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

std::optional<EpsPrescription> PgStore::findPrescription(const std::string& prescriptionId) {
    return read<std::optional<EpsPrescription>>(
        "findPrescription", std::nullopt, [&](Connection& db) -> std::optional<EpsPrescription> {
            const Rows rows = db.query("SELECT prescription_id, prescription_uuid, message_id,"
                                       " nhs_number, prescriber, created_at"
                                       " FROM eps_prescriptions WHERE prescription_id = $1",
                                       Params().text(prescriptionId));
            if (rows.count() == 0) {
                return std::nullopt;
            }
            EpsPrescription prescription;
            prescription.prescriptionId = rows.text(0, 0);
            prescription.prescriptionUuid = rows.text(0, 1);
            prescription.messageId = rows.text(0, 2);
            prescription.nhsNumber = rows.text(0, 3);
            prescription.prescriberJson = rows.text(0, 4);
            prescription.createdAt = fromEpochMillis(rows.integer(0, 5));
            return prescription;
        });
}

std::vector<EpsItem> PgStore::itemsOf(const std::string& prescriptionId) {
    return read<std::vector<EpsItem>>("itemsOf", {}, [&](Connection& db) {
        return readItems(db.query(sql({"SELECT ", kItemColumns,
                                       " FROM eps_items WHERE prescription_id = $1"
                                       " ORDER BY position, row_order"}),
                                  Params().text(prescriptionId)));
    });
}

std::vector<EpsItem> PgStore::itemsByMessage(const std::string& messageId) {
    if (messageId.empty()) {
        return {};
    }
    return read<std::vector<EpsItem>>("itemsByMessage", {}, [&](Connection& db) {
        return readItems(db.query(sql({"SELECT ", kItemColumns,
                                       " FROM eps_items WHERE prescription_message_id = $1"
                                       " OR cancel_message_id = $1"
                                       " ORDER BY prescription_id COLLATE \"C\", position"}),
                                  Params().text(messageId)));
    });
}

Status PgStore::updateItems(const std::vector<EpsItem>& items, const AuditEvent& event) {
    return write<Unit>("updateItems", [&]() -> Status {
        const TimePoint now = m_clock.now();
        for (const EpsItem& item : items) {
            const Rows updated = writer().query(
                "UPDATE eps_items SET state = $3, code = $4, text = $5, updated_at = $6"
                " WHERE prescription_id = $1 AND line_item_id = $2",
                Params()
                    .text(item.prescriptionId)
                    .text(item.lineItemId)
                    .text(item.state)
                    .text(item.code)
                    .text(item.text)
                    .integer(toEpochMillis(now)));
            if (updated.affected() == 0) {
                return failure("lineItemId", "no item " + item.lineItemId + " of prescription " +
                                                 item.prescriptionId);
            }
        }
        appendAudit(now, event.actor, event.event, event.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

std::vector<MessageRecord> PgStore::epsMessagesOf(const std::string& prescriptionId) {
    return read<std::vector<MessageRecord>>("epsMessagesOf", {}, [&](Connection& db) {
        const Rows rows = db.query(sql({"SELECT ", kRecordColumns,
                                        " FROM messages WHERE business_id = $1"
                                        " AND service = 'urn:nhs:names:services:mm'"
                                        " ORDER BY created_at, row_order"}),
                                   Params().text(prescriptionId));
        std::vector<MessageRecord> records;
        records.reserve(static_cast<std::size_t>(rows.count()));
        for (int row = 0; row < rows.count(); ++row) {
            records.push_back(readRecord(rows, row));
        }
        return records;
    });
}

} // namespace gp::agent::pg
