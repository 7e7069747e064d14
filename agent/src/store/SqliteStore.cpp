#include "SqliteStore.hpp"

#include "AuditChain.hpp"
#include "Migrations.hpp"
#include "Statement.hpp"
#include "StoreRows.hpp"
#include "Transaction.hpp"

#include <Poco/Logger.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <initializer_list>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace gp::agent {

namespace sqlite {

namespace {

constexpr std::string_view kDispatcherActor = "dispatcher";

constexpr std::string_view kAuditColumns =
    "seq, at, actor, event, message_id, detail, prev_hash, hash, nhs_number";

// Up to ?2 claimable messages at time ?1, the soonest due first, then the oldest. A waiting
// message is claimable when due; a sending one only when its holder's lease ran out (that holder
// is gone or stuck, and the MessageId lets Spine drop a duplicate). Each state is read in order
// along its index (messages_claim, messages_lease) and cut at ?2, so a claim reads a few rows
// however long the queue: one ORDER BY over all claimable rows sorted the whole backlog.
constexpr std::string_view kClaimableInOrder =
    "SELECT message_id, state, lease_owner FROM ("
    " SELECT * FROM (SELECT message_id, state, lease_owner, next_attempt_at AS due, created_at"
    "  FROM messages WHERE state = 'queued' AND next_attempt_at <= ?1"
    "  AND (lease_until IS NULL OR lease_until <= ?1)"
    "  ORDER BY next_attempt_at, created_at LIMIT ?2)"
    " UNION ALL"
    " SELECT * FROM (SELECT message_id, state, lease_owner, next_attempt_at AS due, created_at"
    "  FROM messages WHERE state = 'retry-wait' AND next_attempt_at <= ?1"
    "  AND (lease_until IS NULL OR lease_until <= ?1)"
    "  ORDER BY next_attempt_at, created_at LIMIT ?2)"
    " UNION ALL"
    " SELECT * FROM (SELECT message_id, state, lease_owner, lease_until AS due, created_at"
    "  FROM messages WHERE state = 'sending' AND lease_until <= ?1"
    "  ORDER BY lease_until, created_at LIMIT ?2))"
    " ORDER BY due, created_at LIMIT ?2";

AuditRow readAuditRow(const Statement& row) {
    AuditRow audit;
    audit.seq = row.integer(0);
    audit.at = fromEpochMillis(row.integer(1));
    audit.actor = row.text(2);
    audit.event = row.text(3);
    audit.messageId = row.text(4);
    audit.detail = row.text(5);
    audit.prevHash = row.text(6);
    audit.hash = row.text(7);
    if (!row.isNull(8)) {
        audit.nhsNumber = row.text(8);
    }
    return audit;
}

std::vector<AuditRow> readAuditRows(Statement& query) {
    std::vector<AuditRow> rows;
    while (query.step()) {
        rows.push_back(readAuditRow(query));
    }
    return rows;
}

std::optional<MessageRecord> loadRecord(Database& database, const std::string& messageId) {
    Statement query(database,
                    sql({"SELECT ", kRecordColumns, " FROM messages WHERE message_id = ?1"}));
    query.bind(1, messageId);
    if (!query.step()) {
        return std::nullopt;
    }
    return readRecord(query);
}

} // namespace

struct SqliteStore::LeaseCheck {
    int attempts = 0;
    TimePoint expiresAt;
};

SqliteStore::SqliteStore(const std::filesystem::path& file, const Clock& clock, Access access)
    : m_clock(clock), m_access(access),
      m_database(file, access == Access::ReadOnly ? Database::Mode::ReadOnly
                                                  : Database::Mode::ReadWriteCreate) {
    m_database.exec("PRAGMA busy_timeout = 5000");
    m_database.exec("PRAGMA foreign_keys = ON");
    if (access == Access::ReadOnly) {
        return;
    }
    {
        Statement journal(m_database, "PRAGMA journal_mode = WAL");
        if (!journal.step() || journal.text(0) != "wal") {
            throw std::runtime_error("cannot put " + file.string() +
                                     " in WAL mode: is it on a network file system?");
        }
    }
    // In WAL mode FULL syncs the log on every commit: a write that returned is on disk.
    m_database.exec("PRAGMA synchronous = FULL");
    applyMigrations(m_database, m_clock);
    m_tripwire = CrashTripwire::fromEnvironment(); // test-only (tests/chaos); null when unset
    // Opened read-write only because a read-only connection cannot share the WAL index with the
    // writer; query_only makes any write through it an error.
    m_reader = std::make_unique<Database>(file, Database::Mode::ReadWriteCreate);
    m_reader->exec("PRAGMA busy_timeout = 5000");
    m_reader->exec("PRAGMA query_only = ON");
}

SqliteStore::~SqliteStore() {
    if (m_stats.commits > 0) {
        storeLogger().information("store: " + std::to_string(m_stats.writes) + " writes in " +
                                  std::to_string(m_stats.commits) + " commits, at most " +
                                  std::to_string(m_stats.largestBatch) + " in one");
    }
}

Database& SqliteStore::readConnection() {
    return m_reader ? *m_reader : m_database;
}

void SqliteStore::setWriteHooks(WriteHooks hooks) {
    std::lock_guard lock(m_queueMutex);
    m_hooks = std::move(hooks);
}

void SqliteStore::waitForQueuedWrites(std::size_t count) {
    std::unique_lock lock(m_queueMutex);
    m_writeQueued.wait(lock, [&] { return m_queue.size() >= count; });
}

WriteStats SqliteStore::writeStats() {
    std::lock_guard lock(m_queueMutex);
    return m_stats;
}

void SqliteStore::submitWrite(QueuedWrite& write) {
    std::unique_lock lock(m_queueMutex);
    m_queue.push_back(&write);
    m_writeQueued.notify_all();
    while (!write.done) {
        if (m_writing) {
            // Another caller is writing a batch; ours is in it or queued for the next one.
            m_writesDone.wait(lock);
            continue;
        }
        // No batch in progress: this caller writes every queued write (its own among them).
        m_writing = true;
        if (m_hooks.beforeBatch) {
            const auto hook = m_hooks.beforeBatch;
            lock.unlock();
            hook();
            lock.lock();
        }
        std::vector<QueuedWrite*> batch;
        batch.swap(m_queue);
        lock.unlock();
        const bool committed = writeBatch(batch);
        lock.lock();
        m_stats.writes += batch.size();
        m_stats.commits += committed ? 1 : 0;
        m_stats.largestBatch = std::max<std::uint64_t>(m_stats.largestBatch, batch.size());
        // Once `done` is set its caller may return and take the QueuedWrite off its stack.
        for (QueuedWrite* each : batch) {
            each->done = true;
        }
        m_writing = false;
        m_writesDone.notify_all();
    }
}

bool SqliteStore::writeBatch(const std::vector<QueuedWrite*>& batch) {
    std::vector<FileToDelete> filesToDelete;
    bool changed = false;
    // Another process (a restore, an old agent) may have written since the last batch.
    m_auditTip.reset();
    try {
        Transaction transaction(m_database);
        for (QueuedWrite* write : batch) {
            runInSavepoint(*write, filesToDelete);
            changed = changed || write->changed;
        }
        if (m_hooks.beforeCommit) {
            m_hooks.beforeCommit(batch.size());
        }
        // Each write that changed rows is a store transition for the test-only tripwire, counted
        // in the order the batch ran them; it fires around the commit that holds the Nth.
        if (m_tripwire) {
            for (const QueuedWrite* write : batch) {
                if (write->changed) {
                    m_tripwire->beforeCommit(write->operation);
                }
            }
        }
        transaction.commit();
        if (m_tripwire && changed) {
            m_tripwire->afterCommit();
        }
    } catch (const SqliteError& error) {
        // BEGIN or COMMIT failed, or SQLite rolled the whole transaction back under a write (a
        // full disk, an I/O error, a lock it could not get): none of the batch is stored, and
        // every write in it fails with that error, whatever its own body returned.
        storeLogger().error("a batch of " + std::to_string(batch.size()) +
                            " writes failed and was rolled back: " + error.what());
        noteStorageFailure(error);
        failBatch(batch, error);
        m_auditTip.reset();
        return false;
    } catch (...) {
        // Only a bug gets here (the hooks, the tripwire, memory): hand it to every caller
        // rather than leave them waiting for a batch that will never finish.
        for (QueuedWrite* write : batch) {
            if (!write->thrown) {
                write->thrown = std::current_exception();
            }
        }
        m_auditTip.reset();
        return false;
    }
    if (changed) {
        std::lock_guard lock(m_queueMutex);
        m_storageProblem.reset(); // bytes reached the disk again
    }
    deleteCommittedFiles(filesToDelete);
    return true;
}

void SqliteStore::runInSavepoint(QueuedWrite& write, std::vector<FileToDelete>& filesToDelete) {
    m_deleteAfterCommit.clear();
    const std::int64_t changesBefore = m_database.totalChanges();
    // A savepoint per write, so that one write's failure (a duplicate, a lost lease, a refused
    // constraint) undoes that write alone and the rest of the batch still commits.
    m_database.run("SAVEPOINT write");
    bool kept = false;
    try {
        kept = write.run(write.body);
    } catch (const SqliteError& error) {
        storeLogger().error(std::string(write.operation) + " failed: " + error.what());
        write.failed = failure("store", std::string(write.operation) + ": " + error.what());
        if (!m_database.inTransaction()) {
            throw; // SQLite rolled back the whole transaction: the batch is lost (writeBatch)
        }
        noteStorageFailure(error);
    } catch (...) {
        write.thrown = std::current_exception();
    }
    if (kept) {
        m_database.run("RELEASE write");
        write.changed = m_database.totalChanges() != changesBefore;
        std::move(m_deleteAfterCommit.begin(), m_deleteAfterCommit.end(),
                  std::back_inserter(filesToDelete));
    } else {
        m_database.run("ROLLBACK TO write");
        m_database.run("RELEASE write");
        m_auditTip.reset(); // the audit rows it added are gone
    }
    m_deleteAfterCommit.clear();
}

void SqliteStore::failBatch(const std::vector<QueuedWrite*>& batch, const SqliteError& error) {
    for (QueuedWrite* write : batch) {
        write->failed = failure("store", std::string(write->operation) + ": " + error.what());
        write->changed = false;
    }
}

void SqliteStore::appendAudit(TimePoint at, std::string_view actor, std::string_view event,
                              std::string_view messageId, std::string_view detail,
                              std::string_view nhsNumber) {
    if (!m_auditTip) {
        AuditTip tip;
        Statement last(m_database, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
        if (last.step()) {
            tip = AuditTip{last.integer(0), last.text(1)};
        }
        m_auditTip = std::move(tip);
    }
    const std::int64_t seq = m_auditTip->seq + 1;
    const std::string& prevHash = m_auditTip->hash;
    const AuditFields fields{prevHash,  seq,    toEpochMillis(at), actor, event,
                             messageId, detail, nhsNumber};
    std::string hash = auditHash(fields);
    Statement insert(
        m_database, "INSERT INTO audit (seq, at, actor, event, message_id, detail, prev_hash, hash,"
                    " nhs_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    insert.bind(1, seq)
        .bind(2, fields.atMillis)
        .bind(3, actor)
        .bind(4, event)
        .bind(5, messageId)
        .bind(6, detail)
        .bind(7, prevHash)
        .bind(8, hash)
        .bind(9, nhsNumber)
        .run();
    m_auditTip = AuditTip{seq, std::move(hash)};
}

void SqliteStore::setState(const std::string& messageId, MessageState state, TimePoint now) {
    if (state == MessageState::Acked || state == MessageState::Failed ||
        state == MessageState::Expired) {
        // The message will never be sent again: its body file can go once this commits.
        Statement query(m_database, "SELECT body_file FROM messages WHERE message_id = ?1"
                                    " AND body_file IS NOT NULL");
        query.bind(1, messageId);
        if (query.step()) {
            deleteAfterCommit(query.text(0), "message " + messageId);
        }
    }
    // Leaving sending drops the lease; only queued and retry-wait carry a next attempt time, and
    // the caller sets it after this where it applies.
    Statement update(m_database,
                     "UPDATE messages SET state = ?2, updated_at = ?3, next_attempt_at = NULL,"
                     " lease_owner = NULL, lease_until = NULL,"
                     " acked_at = CASE WHEN ?2 = 'acked' THEN ?3 ELSE acked_at END"
                     " WHERE message_id = ?1");
    update.bind(1, messageId).bind(2, toString(state)).bind(3, toEpochMillis(now)).run();
}

void SqliteStore::setLastError(const std::string& messageId, const MessageError& error,
                               TimePoint now, bool transportError) {
    Statement update(m_database,
                     "UPDATE messages SET last_error_code = ?2, last_error_text = ?3,"
                     " last_error_at = ?4, last_error_transport = ?5 WHERE message_id = ?1");
    update.bind(1, messageId)
        .bind(2, error.code)
        .bind(3, error.text)
        .bind(4, toEpochMillis(now))
        .bind(5, std::int64_t{transportError ? 1 : 0})
        .run();
}

void SqliteStore::expireDue(TimePoint now) {
    std::vector<std::string> due;
    {
        Statement query(m_database, "SELECT message_id FROM messages WHERE expires_at < ?1"
                                    " AND (state IN ('queued', 'retry-wait')"
                                    "      OR (state = 'sending' AND lease_until <= ?1))");
        query.bind(1, toEpochMillis(now));
        while (query.step()) {
            due.push_back(query.text(0));
        }
    }
    const MessageError expired{"expired", "persist duration exceeded"};
    for (const std::string& messageId : due) {
        setState(messageId, MessageState::Expired, now);
        setLastError(messageId, expired, now, false);
        appendAudit(now, kDispatcherActor, "expired", messageId, expired.text);
    }
}

void SqliteStore::failExhausted(TimePoint now) {
    std::vector<std::pair<std::string, std::int64_t>> exhausted;
    {
        // Named, so SQLite reads the (normally empty) partial index rather than every queued
        // row: without statistics its planner prefers the wider state index.
        Statement query(m_database, "SELECT message_id, attempts FROM messages"
                                    " INDEXED BY messages_exhausted"
                                    " WHERE max_attempts > 0 AND attempts >= max_attempts"
                                    " AND poll_url IS NULL"
                                    " AND state IN ('queued', 'retry-wait', 'sending')"
                                    " AND (state <> 'sending' OR lease_until <= ?1)");
        query.bind(1, toEpochMillis(now));
        while (query.step()) {
            exhausted.emplace_back(query.text(0), query.integer(1));
        }
    }
    for (const auto& [messageId, attempts] : exhausted) {
        const std::string count = std::to_string(attempts);
        setState(messageId, MessageState::Failed, now);
        setLastError(messageId, {"retries-exhausted", "no attempts left after " + count}, now,
                     false);
        appendAudit(now, kDispatcherActor, "failed", messageId,
                    "code retries-exhausted after " + count + " attempts");
    }
}

void SqliteStore::failInterrupted(const std::string& messageId, std::int64_t attempts,
                                  std::string_view actor, const std::string& why, TimePoint now) {
    const std::string attempt = "attempt " + std::to_string(attempts);
    setState(messageId, MessageState::Failed, now);
    setLastError(messageId,
                 {"outcome-unknown", attempt + " was interrupted (" + why +
                                         "): the receiver may have acted on it, and the message "
                                         "is not safe to send twice"},
                 now, false);
    appendAudit(now, actor, "failed", messageId,
                "code outcome-unknown; " + attempt + " was interrupted (" + why + ")");
}

void SqliteStore::failLapsedUnsafe(TimePoint now) {
    // A lease that ran out means its holder is gone or stuck mid-attempt: the request may have
    // been sent and acted on. An idempotent message is claimed again below; one that is not
    // (e-RS creates) must never be resent blindly.
    std::vector<std::tuple<std::string, std::string, std::int64_t>> lapsed;
    {
        Statement query(m_database, "SELECT message_id, lease_owner, attempts FROM messages"
                                    " WHERE state = 'sending' AND lease_until <= ?1"
                                    " AND idempotent = 0 AND poll_url IS NULL");
        query.bind(1, toEpochMillis(now));
        while (query.step()) {
            lapsed.emplace_back(query.text(0), query.text(1), query.integer(2));
        }
    }
    for (const auto& [messageId, owner, attempts] : lapsed) {
        failInterrupted(messageId, attempts, kDispatcherActor, "the lease of " + owner + " ran out",
                        now);
    }
}

Result<SqliteStore::LeaseCheck> SqliteStore::checkLease(const std::string& messageId,
                                                        std::string_view owner) {
    Statement query(m_database, "SELECT state, lease_owner, attempts, expires_at FROM messages"
                                " WHERE message_id = ?1");
    query.bind(1, messageId);
    if (!query.step()) {
        return failure("messageId", "no message " + messageId);
    }
    const std::string state = query.text(0);
    if (state != toString(MessageState::Sending) || query.isNull(1) || query.text(1) != owner) {
        return failure("messageId", "message " + messageId + " is " + state + " and not held by " +
                                        std::string(owner) + ": the lease was lost");
    }
    return LeaseCheck{static_cast<int>(query.integer(2)), fromEpochMillis(query.integer(3))};
}

void SqliteStore::deleteAfterCommit(std::filesystem::path file, std::string owner) {
    if (!file.empty()) {
        m_deleteAfterCommit.push_back(FileToDelete{std::move(file), std::move(owner)});
    }
}

void SqliteStore::deleteCommittedFiles(const std::vector<FileToDelete>& files) {
    for (const FileToDelete& pending : files) {
        std::error_code error;
        std::filesystem::remove(pending.file, error);
        if (error) {
            // Best effort: an orphan file wastes space but loses nothing. The path may name the
            // message; the log gets the owner's id and the reason only.
            storeLogger().warning("could not delete the body file of " + pending.owner + ": " +
                                  error.message());
        }
    }
}

Status SqliteStore::insertOutbound(const OutboundMessage& message, TimePoint dueAt, TimePoint now) {
    if (message.messageId.empty()) {
        return failure("messageId", "is empty");
    }
    if (!message.kind.empty() && message.kind != "ebxml" && message.kind != "fhir") {
        return failure("kind", "'" + message.kind + "' is neither ebxml nor fhir");
    }
    if (!message.method.empty() && message.method != "POST" && message.method != "PUT" &&
        message.method != "GET") {
        return failure("method", "'" + message.method + "' is not POST, PUT or GET");
    }
    {
        Statement exists(m_database, "SELECT 1 FROM messages WHERE message_id = ?1");
        exists.bind(1, message.messageId);
        if (exists.step()) {
            return failure("messageId", "message " + message.messageId + " already exists");
        }
    }
    Statement insert(
        m_database,
        "INSERT INTO messages (message_id, conversation_id, interaction, service, business_id,"
        " endpoint, soap_action, content_type, body, state, attempts, max_attempts, created_at,"
        " updated_at, expires_at, next_attempt_at, body_file, retry_interval_ms, kind, method,"
        " headers, idempotent, practice)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0, ?10, ?11, ?12, ?13, ?14,"
        " ?15, ?16, ?17, ?18, ?19, ?20, ?21)");
    insert.bind(1, message.messageId)
        .bind(2, message.conversationId)
        .bind(3, message.interaction)
        .bind(4, message.service)
        .bind(5, message.businessId)
        .bind(6, message.endpoint)
        .bind(7, message.soapAction)
        .bind(8, message.contentType)
        .bindBlob(9, message.body)
        .bind(10, std::int64_t{message.maxAttempts})
        .bind(11, toEpochMillis(message.createdAt))
        .bind(12, toEpochMillis(now))
        .bind(13, toEpochMillis(message.expiresAt))
        .bind(14, toEpochMillis(dueAt))
        .bind(16, message.retryInterval
                      ? std::optional<std::int64_t>(message.retryInterval->count())
                      : std::nullopt)
        .bind(17, message.kind.empty() ? std::string("ebxml") : message.kind)
        .bind(18, message.method.empty() ? std::string("POST") : message.method)
        .bind(19, encodeHeaders(message.headers))
        .bind(20, std::int64_t{message.idempotent ? 1 : 0})
        .bind(21, message.practice);
    if (message.bodyFile.empty()) {
        insert.bindNull(15);
    } else {
        insert.bind(15, message.bodyFile.string());
    }
    insert.run();
    return success();
}

Status SqliteStore::enqueue(const OutboundMessage& message, const AuditEvent& event) {
    return write<Unit>("enqueue", [&]() -> Status {
        const TimePoint now = m_clock.now();
        const Status inserted = insertOutbound(message, message.createdAt, now);
        if (!inserted) {
            return inserted;
        }
        appendAudit(now, event.actor, event.event.empty() ? "accepted" : event.event,
                    message.messageId, event.detail, event.nhsNumber);
        return success();
    });
}

Result<std::vector<ClaimedMessage>> SqliteStore::claimDue(std::string_view owner,
                                                          Milliseconds lease, int limit) {
    return write<std::vector<ClaimedMessage>>(
        "claimDue", [&]() -> Result<std::vector<ClaimedMessage>> {
            const TimePoint now = m_clock.now();
            const long long nowMillis = toEpochMillis(now);
            expireDue(now);
            failExhausted(now);
            failLapsedUnsafe(now);
            if (dispatchPaused(m_database)) {
                return std::vector<ClaimedMessage>{}; // staff paused sending
            }

            std::vector<std::pair<std::string, std::string>> picked; // id, previous lease owner
            {
                Statement query(m_database, kClaimableInOrder);
                query.bind(1, nowMillis).bind(2, std::int64_t{limit < 0 ? 0 : limit});
                while (query.step()) {
                    picked.emplace_back(query.text(0),
                                        query.text(1) == "sending" ? query.text(2) : std::string());
                }
            }

            std::vector<ClaimedMessage> claimed;
            claimed.reserve(picked.size());
            for (const auto& [messageId, previousOwner] : picked) {
                // A poll for a deferred reply asks for Spine's answer to an attempt already made;
                // it sends nothing, so it is not another attempt (nor bounded by maxAttempts).
                Statement update(
                    m_database,
                    "UPDATE messages SET state = 'sending',"
                    " attempts = attempts + CASE WHEN poll_url IS NULL THEN 1 ELSE 0 END,"
                    " lease_owner = ?2, lease_until = ?3, next_attempt_at = NULL,"
                    " last_sent_at = CASE WHEN poll_url IS NULL THEN ?4 ELSE last_sent_at END,"
                    " updated_at = ?4 WHERE message_id = ?1");
                update.bind(1, messageId)
                    .bind(2, owner)
                    .bind(3, nowMillis + lease.count())
                    .bind(4, nowMillis)
                    .run();

                Statement query(m_database, sql({"SELECT ", kRecordColumns,
                                                 " FROM messages WHERE message_id = ?1"}));
                query.bind(1, messageId);
                query.step();
                ClaimedMessage message = readClaim(query);
                std::string detail = message.pollUrl.empty()
                                         ? "attempt " + std::to_string(message.record.attempts)
                                         : "poll for the reply to attempt " +
                                               std::to_string(message.record.attempts);
                if (!previousOwner.empty()) {
                    detail += "; lease of " + previousOwner + " had run out";
                }
                appendAudit(now, kDispatcherActor, "sending", messageId, detail);
                claimed.push_back(std::move(message));
            }
            return claimed;
        });
}

template <typename Change>
Status SqliteStore::writeHeld(std::string_view operation, const std::string& messageId,
                              std::string_view owner, Change&& change) {
    return write<Unit>(operation, [&]() -> Status {
        const Result<LeaseCheck> held = checkLease(messageId, owner);
        if (!held) {
            return held.error();
        }
        return change(*held, m_clock.now());
    });
}

Status SqliteStore::finishAcked(std::string_view operation, const std::string& messageId,
                                std::string_view owner, const std::string& detail,
                                const StoredReply* reply) {
    return writeHeld(operation, messageId, owner, [&](const LeaseCheck&, TimePoint now) {
        setState(messageId, MessageState::Acked, now);
        const std::string note = reply ? keepReply(messageId, *reply) : std::string();
        appendAudit(now, kDispatcherActor, "acked", messageId, detail + note);
        return success();
    });
}

Status SqliteStore::finishFailed(std::string_view operation, const std::string& messageId,
                                 std::string_view owner, const MessageError& error,
                                 const StoredReply* reply) {
    return writeHeld(operation, messageId, owner, [&](const LeaseCheck&, TimePoint now) {
        setState(messageId, MessageState::Failed, now);
        setLastError(messageId, error, now, false);
        const std::string note = reply ? keepReply(messageId, *reply) : std::string();
        appendAudit(now, kDispatcherActor, "failed", messageId, "code " + error.code + note);
        return success();
    });
}

Status SqliteStore::recordAcked(const std::string& messageId, std::string_view owner,
                                const std::string& detail) {
    return finishAcked("recordAcked", messageId, owner, detail, nullptr);
}

Status SqliteStore::recordRetry(const std::string& messageId, std::string_view owner,
                                TimePoint nextAttemptAt, const MessageError& error,
                                bool transportError) {
    return writeHeld(
        "recordRetry", messageId, owner, [&](const LeaseCheck& lease, TimePoint now) -> Status {
            setLastError(messageId, error, now, transportError);
            if (nextAttemptAt > lease.expiresAt) {
                // It could never be sent in time: end it now rather than let it wait to expire.
                setState(messageId, MessageState::Expired, now);
                appendAudit(now, kDispatcherActor, "expired", messageId,
                            "code " + error.code + "; next attempt " + formatUtc(nextAttemptAt) +
                                " would be after expiry " + formatUtc(lease.expiresAt));
                return success();
            }
            setState(messageId, MessageState::RetryWait, now);
            Statement schedule(m_database,
                               "UPDATE messages SET next_attempt_at = ?2 WHERE message_id = ?1");
            schedule.bind(1, messageId).bind(2, toEpochMillis(nextAttemptAt)).run();
            appendAudit(now, kDispatcherActor, "retry-scheduled", messageId,
                        "code " + error.code + "; next attempt " + formatUtc(nextAttemptAt));
            return success();
        });
}

Status SqliteStore::recordFailed(const std::string& messageId, std::string_view owner,
                                 const MessageError& error) {
    return finishFailed("recordFailed", messageId, owner, error, nullptr);
}

Status SqliteStore::recordExpired(const std::string& messageId, std::string_view owner,
                                  const std::string& reason) {
    return writeHeld("recordExpired", messageId, owner, [&](const LeaseCheck&, TimePoint now) {
        setState(messageId, MessageState::Expired, now);
        setLastError(messageId, {"expired", reason}, now, false);
        appendAudit(now, kDispatcherActor, "expired", messageId, reason);
        return success();
    });
}

std::string SqliteStore::keepReply(const std::string& messageId, const StoredReply& reply) {
    const std::string_view body =
        std::string_view(reply.body).substr(0, std::min(reply.body.size(), kMaxStoredReplyBytes));
    Statement update(
        m_database, "UPDATE messages SET reply_status = ?2, reply_content_type = ?3,"
                    " reply_location = ?4, reply_etag = ?5, reply_body = ?6 WHERE message_id = ?1");
    update.bind(1, messageId)
        .bind(2, std::int64_t{reply.status})
        .bind(3, reply.contentType)
        .bind(4, reply.location)
        .bind(5, reply.etag)
        .bindBlob(6, body)
        .run();
    if (body.size() == reply.body.size()) {
        return {};
    }
    storeLogger().warning("the reply to " + messageId + " was " +
                          std::to_string(reply.body.size()) + " bytes; kept the first " +
                          std::to_string(body.size()));
    return "; reply body cut to " + std::to_string(body.size()) + " of " +
           std::to_string(reply.body.size()) + " bytes";
}

Status SqliteStore::recordAckedWithReply(const std::string& messageId, std::string_view owner,
                                         const std::string& detail, const StoredReply& reply) {
    return finishAcked("recordAckedWithReply", messageId, owner, detail, &reply);
}

Status SqliteStore::recordFailedWithReply(const std::string& messageId, std::string_view owner,
                                          const MessageError& error, const StoredReply& reply) {
    return finishFailed("recordFailedWithReply", messageId, owner, error, &reply);
}

Status SqliteStore::recordDeferred(const std::string& messageId, std::string_view owner,
                                   TimePoint nextAttemptAt, const std::string& pollUrl) {
    return writeHeld(
        "recordDeferred", messageId, owner, [&](const LeaseCheck& lease, TimePoint now) -> Status {
            if (pollUrl.empty()) {
                return failure("pollUrl", "is empty");
            }
            if (nextAttemptAt > lease.expiresAt) {
                // Same rule as recordRetry: a poll that could only come after the expiry never
                // comes.
                const MessageError expired{"expired", "no reply before the persist duration ended"};
                setState(messageId, MessageState::Expired, now);
                setLastError(messageId, expired, now, false);
                appendAudit(now, kDispatcherActor, "expired", messageId,
                            "reply deferred; next poll " + formatUtc(nextAttemptAt) +
                                " would be after expiry " + formatUtc(lease.expiresAt));
                return success();
            }
            setState(messageId, MessageState::RetryWait, now);
            Statement schedule(m_database, "UPDATE messages SET next_attempt_at = ?2, poll_url = ?3"
                                           " WHERE message_id = ?1");
            schedule.bind(1, messageId)
                .bind(2, toEpochMillis(nextAttemptAt))
                .bind(3, pollUrl)
                .run();
            appendAudit(now, kDispatcherActor, "reply-deferred", messageId, "poll " + pollUrl);
            return success();
        });
}

std::optional<StoredReply> SqliteStore::replyOf(const std::string& messageId) {
    return read<std::optional<StoredReply>>("replyOf", std::nullopt, [&](Database& db) {
        Statement query(db, "SELECT reply_status, reply_content_type, reply_location, reply_etag,"
                            " reply_body FROM messages WHERE message_id = ?1"
                            " AND reply_status IS NOT NULL");
        query.bind(1, messageId);
        std::optional<StoredReply> reply;
        if (query.step()) {
            reply = StoredReply{static_cast<int>(query.integer(0)), query.text(1), query.text(2),
                                query.text(3), query.blob(4)};
        }
        return reply;
    });
}

Result<int> SqliteStore::releaseAllLeases() {
    return write<int>("releaseAllLeases", [&]() -> Result<int> {
        std::vector<std::tuple<std::string, std::string, std::int64_t, bool>> held;
        {
            Statement query(m_database, "SELECT message_id, lease_owner, attempts,"
                                        " idempotent = 0 AND poll_url IS NULL FROM messages"
                                        " WHERE state = 'sending' ORDER BY created_at");
            while (query.step()) {
                held.emplace_back(query.text(0), query.text(1), query.integer(2),
                                  query.integer(3) != 0);
            }
        }
        const TimePoint now = m_clock.now();
        for (const auto& [messageId, owner, attempts, unsafeToResend] : held) {
            if (unsafeToResend) {
                // The previous run may have sent it before it stopped: see failLapsedUnsafe.
                failInterrupted(messageId, attempts, "startup", "the agent stopped during it", now);
                continue;
            }
            setState(messageId, MessageState::RetryWait, now);
            // The attempt the agent cut short by stopping is given back: maxAttempts (the
            // route's retries) is about the receiver not answering, and a few restarts in a row
            // must not use it up and fail a GP2GP document (found by the crash campaign).
            Statement schedule(m_database,
                               "UPDATE messages SET next_attempt_at = ?2, max_attempts ="
                               " max_attempts + CASE WHEN max_attempts > 0 THEN 1 ELSE 0 END"
                               " WHERE message_id = ?1 RETURNING max_attempts > 0");
            schedule.bind(1, messageId).bind(2, toEpochMillis(now));
            const bool limited = schedule.step() && schedule.integer(0) != 0;
            appendAudit(now, "startup", "lease-released", messageId,
                        "attempt " + std::to_string(attempts) + " by " + owner +
                            " was interrupted" +
                            (limited ? "; not counted against the limit" : ""));
        }
        return static_cast<int>(held.size());
    });
}

std::optional<TimePoint> SqliteStore::nextDueTime() {
    return read<std::optional<TimePoint>>("nextDueTime", std::nullopt, [&](Database& db) {
        // A waiting message wakes the dispatcher when due and again just after its expiry (to
        // end it); a sending one when its lease runs out (its holder may be gone). While paused
        // only expiries are due: claimDue would claim nothing sooner.
        Statement query(
            db, dispatchPaused(db)
                    ? "SELECT MIN(expires_at) + 1 FROM messages"
                      " WHERE state IN ('queued', 'retry-wait', 'sending')"
                    : "SELECT MIN(t) FROM ("
                      " SELECT MIN(next_attempt_at) AS t FROM messages"
                      "  WHERE state IN ('queued', 'retry-wait')"
                      " UNION ALL SELECT MIN(expires_at) + 1 FROM messages"
                      "  WHERE state IN ('queued', 'retry-wait')"
                      " UNION ALL SELECT MIN(lease_until) FROM messages WHERE state = 'sending')");
        std::optional<TimePoint> due;
        if (query.step()) {
            if (const auto millis = query.optionalInteger(0)) {
                due = fromEpochMillis(*millis);
            }
        }
        return due;
    });
}

std::optional<MessageRecord> SqliteStore::findMessage(const std::string& messageId) {
    return read<std::optional<MessageRecord>>(
        "findMessage", std::nullopt, [&](Database& db) { return loadRecord(db, messageId); });
}

std::vector<AuditRow> SqliteStore::auditForMessage(const std::string& messageId) {
    return read<std::vector<AuditRow>>("auditForMessage", {}, [&](Database& db) {
        Statement query(
            db, sql({"SELECT ", kAuditColumns, " FROM audit WHERE message_id = ?1 ORDER BY seq"}));
        query.bind(1, messageId);
        return readAuditRows(query);
    });
}

std::vector<AuditRow> SqliteStore::auditAfter(std::int64_t afterSeq, int limit) {
    return read<std::vector<AuditRow>>("auditAfter", {}, [&](Database& db) {
        Statement query(db, sql({"SELECT ", kAuditColumns,
                                 " FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2"}));
        query.bind(1, afterSeq).bind(2, std::int64_t{limit < 0 ? 0 : limit});
        return readAuditRows(query);
    });
}

std::vector<AuditRow> SqliteStore::latestAudit(int limit) {
    return read<std::vector<AuditRow>>("latestAudit", {}, [&](Database& db) {
        Statement query(db,
                        sql({"SELECT ", kAuditColumns, " FROM audit ORDER BY seq DESC LIMIT ?1"}));
        query.bind(1, std::int64_t{limit < 0 ? 0 : limit});
        std::vector<AuditRow> rows = readAuditRows(query);
        std::reverse(rows.begin(), rows.end());
        return rows;
    });
}

void SqliteStore::noteStorageFailure(const SqliteError& error) {
    const int primary = error.extendedCode() & 0xff;
    if (primary != SQLITE_FULL && primary != SQLITE_IOERR) {
        return;
    }
    std::lock_guard lock(m_queueMutex);
    const TimePoint since = m_storageProblem ? m_storageProblem->since : m_clock.now();
    m_storageProblem = StorageProblem{
        primary == SQLITE_FULL ? StorageFault::Full : StorageFault::IoError, error.what(), since};
}

StatusSummary SqliteStore::status() {
    StatusSummary empty;
    for (MessageState state : {MessageState::Queued, MessageState::Sending, MessageState::RetryWait,
                               MessageState::Acked, MessageState::Failed, MessageState::Expired}) {
        empty.counts[state] = 0;
    }
    return read<StatusSummary>("status", empty, [&](Database& db) {
        StatusSummary summary = empty;
        {
            Statement counts(
                db, "SELECT practice, state, COUNT(*) FROM messages GROUP BY practice, state");
            while (counts.step()) {
                if (const auto state = messageStateFromString(counts.text(1))) {
                    summary.counts[*state] += counts.integer(2);
                    summary.countsByPractice[counts.text(0)][*state] = counts.integer(2);
                }
            }
        }
        {
            Statement times(db, "SELECT (SELECT MIN(created_at) FROM messages"
                                "         WHERE state IN ('queued', 'retry-wait')),"
                                "       (SELECT MAX(acked_at) FROM messages)");
            times.step();
            if (const auto oldest = times.optionalInteger(0)) {
                summary.oldestQueuedAt = fromEpochMillis(*oldest);
            }
            if (const auto acked = times.optionalInteger(1)) {
                summary.lastAckedAt = fromEpochMillis(*acked);
            }
        }
        {
            Statement lastError(db, "SELECT last_error_code, last_error_text, last_error_at"
                                    " FROM messages WHERE last_error_transport = 1"
                                    " AND last_error_at IS NOT NULL"
                                    " ORDER BY last_error_at DESC LIMIT 1");
            if (lastError.step()) {
                summary.lastTransportError = MessageError{lastError.text(0), lastError.text(1)};
                summary.lastTransportErrorAt = fromEpochMillis(lastError.integer(2));
            }
        }
        addOperationsStatus(db, summary);
        {
            std::lock_guard lock(m_queueMutex);
            summary.storageProblem = m_storageProblem;
        }
        return summary;
    });
}

Status SqliteStore::recordAuditEvent(const AuditEvent& event) {
    return write<Unit>("recordAuditEvent", [&]() -> Status {
        appendAudit(m_clock.now(), event.actor, event.event, event.messageId, event.detail,
                    event.nhsNumber);
        return success();
    });
}

AuditVerification SqliteStore::verifyAudit() {
    AuditVerification unreadable;
    unreadable.intact = false;
    unreadable.reason = "the audit trail could not be read (see the log)";
    return read<AuditVerification>("verifyAudit", unreadable, [&](Database& db) {
        AuditVerification result;
        Statement query(db, sql({"SELECT ", kAuditColumns, " FROM audit ORDER BY seq"}));
        AuditChainWalker chain;
        while (query.step()) {
            const AuditRow row = readAuditRow(query);
            ++result.rowsChecked;
            if (auto reason = chain.next(row)) {
                result.intact = false;
                result.firstBrokenSeq = row.seq;
                result.reason = std::move(*reason);
                return result;
            }
        }
        result.lastSeq = chain.lastSeq();
        result.lastHash = chain.lastHash();
        return result;
    });
}

} // namespace sqlite

std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file, const Clock& clock) {
    try {
        return std::make_unique<sqlite::SqliteStore>(file, clock,
                                                     sqlite::SqliteStore::Access::ReadWrite);
    } catch (const sqlite::SqliteError& error) {
        throw std::runtime_error("cannot open the store " + file.string() + ": " + error.what());
    }
}

std::unique_ptr<Store> openSqliteStoreReadOnly(const std::filesystem::path& file,
                                               const Clock& clock) {
    try {
        return std::make_unique<sqlite::SqliteStore>(file, clock,
                                                     sqlite::SqliteStore::Access::ReadOnly);
    } catch (const sqlite::SqliteError& error) {
        throw std::runtime_error("cannot open the store " + file.string() + ": " + error.what());
    }
}

} // namespace gp::agent
