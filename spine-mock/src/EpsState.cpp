#include "Sqlite.hpp"

#include <gp/mock/EpsState.hpp>

#include <algorithm>

namespace gp::mock {

namespace {

Status insertJournal(SqliteDatabase& db, const JournalEntry& entry) {
    return db
        .prepare("INSERT INTO journal (message_id, interaction, outcome, reply_code, received_at, "
                 "leg, recipient) VALUES (?, ?, ?, ?, ?, ?, ?)")
        .bind(1, entry.messageId)
        .bind(2, entry.interaction)
        .bind(3, entry.outcome)
        .bind(4, entry.replyCode)
        .bind(5, entry.receivedAt)
        .bind(6, entry.leg)
        .bind(7, entry.recipient)
        .run();
}

Status insertReply(SqliteDatabase& db, const std::string& messageId, const StoredReply& reply) {
    return db
        .prepare("INSERT INTO replies (message_id, status, content_type, body, reply_code) "
                 "VALUES (?, ?, ?, ?, ?)")
        .bind(1, messageId)
        .bind(2, std::int64_t{reply.status})
        .bind(3, reply.contentType)
        .bindBlob(4, reply.body)
        .bind(5, reply.replyCode)
        .run();
}

struct Held {
    std::string messageId;
    std::string lineItemId;
};

} // namespace

Result<PrescriptionLookup> EpsState::lookup(const std::string& prescriptionId,
                                            const std::string& lineItemId) {
    PrescriptionLookup found;
    const Status read = m_store.withDatabase([&](SqliteDatabase& db) -> Status {
        auto prescription = db.prepare("SELECT 1 FROM prescriptions WHERE prescription_id = ?");
        prescription.bind(1, prescriptionId);
        auto row = prescription.step();
        if (!row) {
            return row.error();
        }
        found.prescriptionKnown = *row;
        auto item = db.prepare("SELECT state, dispenser_ods FROM eps_items "
                               "WHERE prescription_id = ? AND line_item_id = ?");
        item.bind(1, prescriptionId).bind(2, lineItemId);
        auto itemRow = item.step();
        if (!itemRow) {
            return itemRow.error();
        }
        if (*itemRow) {
            found.item = ItemState{item.text(0), item.text(1)};
        }
        return success();
    });
    if (!read) {
        return read.error();
    }
    return found;
}

Result<std::vector<JournalEntry>>
EpsState::recordPrescription(const JournalEntry& entry, const StoredReply& reply,
                             const std::string& prescriptionId,
                             const std::vector<std::string>& items) {
    std::vector<JournalEntry> applied;
    const Status done = m_store.transaction([&](SqliteDatabase& db) -> Status {
        applied.clear();
        if (auto stored = insertReply(db, entry.messageId, reply); !stored) {
            return stored;
        }
        auto accepted =
            db.prepare("INSERT INTO prescriptions (prescription_id, message_id) VALUES (?, ?)")
                .bind(1, prescriptionId)
                .bind(2, entry.messageId)
                .run();
        if (!accepted) {
            return accepted;
        }
        for (const auto& item : items) {
            auto live = db.prepare("INSERT OR IGNORE INTO eps_items (prescription_id, "
                                   "line_item_id, state) VALUES (?, ?, 'live')")
                            .bind(1, prescriptionId)
                            .bind(2, item)
                            .run();
            if (!live) {
                return live;
            }
        }
        if (auto journaled = insertJournal(db, entry); !journaled) {
            return journaled;
        }

        std::vector<Held> held;
        auto query = db.prepare("SELECT message_id, line_item_id FROM eps_held_cancellations "
                                "WHERE prescription_id = ? AND state = 'held' ORDER BY rowid");
        query.bind(1, prescriptionId);
        while (true) {
            auto row = query.step();
            if (!row) {
                return row.error();
            }
            if (!*row) {
                break;
            }
            held.push_back(Held{query.text(0), query.text(1)});
        }
        for (const Held& cancellation : held) {
            const bool ours =
                std::find(items.begin(), items.end(), cancellation.lineItemId) != items.end();
            if (ours) {
                auto cancelled = db.prepare("UPDATE eps_items SET state = 'cancelled' "
                                            "WHERE prescription_id = ? AND line_item_id = ?")
                                     .bind(1, prescriptionId)
                                     .bind(2, cancellation.lineItemId)
                                     .run();
                if (!cancelled) {
                    return cancelled;
                }
            }
            auto resolved = db.prepare("UPDATE eps_held_cancellations SET state = ?, "
                                       "resolved_at = ? WHERE message_id = ?")
                                .bind(1, ours ? "applied" : "discarded")
                                .bind(2, entry.receivedAt)
                                .bind(3, cancellation.messageId)
                                .run();
            if (!resolved) {
                return resolved;
            }
            JournalEntry line{0,
                              cancellation.messageId,
                              std::string(kCancellationRequest),
                              ours ? "held-applied" : "held-discarded",
                              ours ? "0001" : "0008",
                              entry.receivedAt,
                              "",
                              ""};
            if (auto journaled = insertJournal(db, line); !journaled) {
                return journaled;
            }
            applied.push_back(std::move(line));
        }
        return success();
    });
    if (!done) {
        return done.error();
    }
    return applied;
}

Status EpsState::recordCancellation(const JournalEntry& entry, const StoredReply& reply,
                                    const std::string& prescriptionId,
                                    const std::string& lineItemId, const std::string& newState,
                                    bool hold) {
    return m_store.transaction([&](SqliteDatabase& db) -> Status {
        if (auto stored = insertReply(db, entry.messageId, reply); !stored) {
            return stored;
        }
        if (!newState.empty()) {
            auto changed = db.prepare("UPDATE eps_items SET state = ? "
                                      "WHERE prescription_id = ? AND line_item_id = ?")
                               .bind(1, newState)
                               .bind(2, prescriptionId)
                               .bind(3, lineItemId)
                               .run();
            if (!changed) {
                return changed;
            }
        }
        if (hold) {
            auto kept = db.prepare("INSERT INTO eps_held_cancellations (message_id, "
                                   "prescription_id, line_item_id, state, received_at) "
                                   "VALUES (?, ?, ?, 'held', ?)")
                            .bind(1, entry.messageId)
                            .bind(2, prescriptionId)
                            .bind(3, lineItemId)
                            .bind(4, entry.receivedAt)
                            .run();
            if (!kept) {
                return kept;
            }
        }
        return insertJournal(db, entry);
    });
}

Result<bool> EpsState::setItemState(const std::string& prescriptionId,
                                    const std::string& lineItemId, const std::string& state,
                                    const std::string& dispenserOds) {
    bool found = false;
    const Status done = m_store.transaction([&](SqliteDatabase& db) -> Status {
        auto exists =
            db.prepare("SELECT 1 FROM eps_items WHERE prescription_id = ? AND line_item_id = ?");
        exists.bind(1, prescriptionId).bind(2, lineItemId);
        auto row = exists.step();
        if (!row) {
            return row.error();
        }
        found = *row;
        if (!found) {
            return success();
        }
        return db
            .prepare("UPDATE eps_items SET state = ?, dispenser_ods = ? "
                     "WHERE prescription_id = ? AND line_item_id = ?")
            .bind(1, state)
            .bind(2, dispenserOds)
            .bind(3, prescriptionId)
            .bind(4, lineItemId)
            .run();
    });
    if (!done) {
        return done.error();
    }
    return found;
}

Status EpsState::addDeferral(const std::string& token, const std::string& messageId,
                             const std::string& interaction, int polls) {
    return m_store.transaction([&](SqliteDatabase& db) -> Status {
        return db
            .prepare("INSERT INTO eps_deferred (token, message_id, interaction, polls_left) "
                     "VALUES (?, ?, ?, ?)")
            .bind(1, token)
            .bind(2, messageId)
            .bind(3, interaction)
            .bind(4, std::int64_t{polls})
            .run();
    });
}

Result<std::optional<DeferredPoll>> EpsState::poll(const std::string& token) {
    std::optional<DeferredPoll> found;
    const Status done = m_store.transaction([&](SqliteDatabase& db) -> Status {
        auto query = db.prepare(
            "SELECT message_id, interaction, polls_left FROM eps_deferred WHERE token = ?");
        query.bind(1, token);
        auto row = query.step();
        if (!row) {
            return row.error();
        }
        if (!*row) {
            return success();
        }
        DeferredPoll poll{query.text(0), query.text(1), query.integer(2) > 0};
        if (poll.pending) {
            auto used = db.prepare("UPDATE eps_deferred SET polls_left = polls_left - 1 "
                                   "WHERE token = ?")
                            .bind(1, token)
                            .run();
            if (!used) {
                return used;
            }
        }
        found = std::move(poll);
        return success();
    });
    if (!done) {
        return done.error();
    }
    return found;
}

} // namespace gp::mock
