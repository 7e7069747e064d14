#include "PgStore.hpp"

#include "../AuditChain.hpp"
#include "../StoreRows.hpp"
#include "PgMigrations.hpp"
#include "PgRows.hpp"
#include "PgSignals.hpp"

#include <Poco/Logger.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <utility>

namespace gp::agent {

namespace pg {

namespace {

using sqlite::formatUtc;
using sqlite::kRecordColumns;
using sqlite::sql;

constexpr std::string_view kDispatcherActor = "dispatcher";
/// Idle read connections kept for the next read; more are made when reads overlap.
constexpr std::size_t kIdleReaders = 4;

std::optional<MessageRecord> loadRecord(Connection& connection, const std::string& messageId) {
    const Rows rows =
        connection.query(sql({"SELECT ", kRecordColumns, " FROM messages WHERE message_id = $1"}),
                         Params().text(messageId));
    if (rows.count() == 0) {
        return std::nullopt;
    }
    return readRecord(rows, 0);
}

} // namespace

PgStore::PgStore(const std::string& url, std::string instance, const Clock& clock,
                 bool contendsForWorkflows)
    : m_clock(clock), m_url(url), m_instance(std::move(instance)) {
    if (m_instance.empty()) {
        throw std::runtime_error("store.instance is empty: every gp-agent sharing a PostgreSQL"
                                 " store needs a name of its own");
    }
    try {
        auto writer = std::make_unique<Connection>(m_url);
        ensurePgSchema(*writer);
        m_writer = std::move(writer);
        // The lock first: a second process with this name must not even migrate.
        m_writer->query("SELECT set_config('application_name', $1, false)",
                        Params().text("gp-agent " + m_instance));
        const bool locked = m_writer
                                ->query("SELECT pg_try_advisory_lock(hashtext(current_schema()),"
                                        " hashtext('gp-agent instance ' || $1::text))",
                                        Params().text(m_instance))
                                .boolean(0, 0);
        if (!locked) {
            throw std::runtime_error(
                "another live gp-agent holds the instance name '" + m_instance +
                "' in this PostgreSQL store: store.instance must be unique in the fleet");
        }
        applyPgMigrations(*m_writer, m_clock);
        m_signals = std::make_unique<PgSignals>(m_url, contendsForWorkflows);
        m_signals->setWriterPid(m_writer->backendPid());
    } catch (const PgError& error) {
        throw std::runtime_error("cannot open the PostgreSQL store for instance '" + m_instance +
                                 "': " + error.what());
    }
}

PgStore::~PgStore() {
    // The signal threads call the listener, which may call back into the store: stop them first.
    m_signals.reset();
    // Give the instance name back before the connection closes: the server frees a closed
    // session's locks only once its backend has noticed, and a restart that follows at once (or a
    // test reopening the store) must find the name free rather than "held by a live instance".
    try {
        if (m_writer) {
            m_writer->query("SELECT pg_advisory_unlock_all()");
        }
    } catch (const PgError&) {
        // A lost connection has released the lock already.
    }
}

std::unique_ptr<Connection> PgStore::connectWriter() {
    auto writer = std::make_unique<Connection>(m_url);
    writer->query("SELECT set_config('application_name', $1, false)",
                  Params().text("gp-agent " + m_instance));
    const bool locked = writer
                            ->query("SELECT pg_try_advisory_lock(hashtext(current_schema()),"
                                    " hashtext('gp-agent instance ' || $1::text))",
                                    Params().text(m_instance))
                            .boolean(0, 0);
    if (!locked) {
        // Our previous session may still be ending on the server, or another process took the
        // name meanwhile: either way this chain must not be written from here now.
        throw PgError("",
                      "the instance lock of '" + m_instance +
                          "' is held by another session: not writing until it is free",
                      true);
    }
    return writer;
}

// ---- reads ----

std::unique_ptr<PgStore::ReaderLease> PgStore::takeReader() {
    std::unique_ptr<Connection> connection;
    {
        std::lock_guard lock(m_readersMutex);
        if (!m_idleReaders.empty()) {
            connection = std::move(m_idleReaders.back());
            m_idleReaders.pop_back();
        }
    }
    if (!connection) {
        // Made outside the lock: connecting takes a round trip or more.
        connection = std::make_unique<Connection>(m_url);
    }
    return std::make_unique<ReaderLease>(*this, std::move(connection));
}

void PgStore::giveBackReader(std::unique_ptr<Connection> connection, bool lost) {
    if (!connection || lost || connection->inTransaction()) {
        return; // closed here; the next read connects afresh
    }
    std::lock_guard lock(m_readersMutex);
    if (m_idleReaders.size() < kIdleReaders) {
        m_idleReaders.push_back(std::move(connection));
    }
}

void PgStore::logReadFailure(std::string_view operation, const PgError& error) {
    pgLogger().error(std::string(operation) + " failed: " + error.what());
}

// ---- the write path: group commit, as SqliteStore's ----

void PgStore::submitWrite(QueuedWrite& write) {
    std::unique_lock lock(m_queueMutex);
    m_queue.push_back(&write);
    while (!write.done) {
        if (m_writing) {
            m_writesDone.wait(lock);
            continue;
        }
        // No batch in progress: this caller writes every queued write (its own among them).
        m_writing = true;
        std::vector<QueuedWrite*> batch;
        batch.swap(m_queue);
        lock.unlock();
        writeBatch(batch);
        lock.lock();
        // Once `done` is set its caller may return and take the QueuedWrite off its stack.
        for (QueuedWrite* each : batch) {
            each->done = true;
        }
        m_writing = false;
        m_writesDone.notify_all();
    }
}

bool PgStore::writeBatch(const std::vector<QueuedWrite*>& batch) {
    std::vector<FileToDelete> filesToDelete;
    m_signalsOnCommit.clear();
    try {
        const auto reconnect = [this] {
            // Make a new connection, and take the instance's lock again before writing to its
            // chain.
            m_writer = connectWriter();
            m_auditTip.reset();
            if (m_signals) {
                m_signals->setWriterPid(m_writer->backendPid());
            }
            pgLogger().information("store: reconnected to PostgreSQL as instance " + m_instance);
        };
        if (!m_writer) {
            reconnect(); // the last batch lost the connection
        }
        try {
            m_writer->exec("BEGIN");
        } catch (const PgError& error) {
            // The connection died while idle (a server restart, a failover): nothing of this
            // batch was sent yet, so it may start again on a new one.
            if (!error.connectionLost()) {
                throw;
            }
            reconnect();
            m_writer->exec("BEGIN");
        }
        Connection& connection = *m_writer;
        for (QueuedWrite* write : batch) {
            runInSavepoint(*write, filesToDelete);
        }
        if (connection.transactionFailed()) {
            throw PgError("", "the batch's transaction was aborted", false);
        }
        if (m_signals && !m_signalsOnCommit.empty()) {
            // Delivered by PostgreSQL only if the COMMIT below succeeds.
            m_signals->notifyInTransaction(connection, m_signalsOnCommit);
        }
        connection.exec("COMMIT");
    } catch (const PgError& error) {
        // BEGIN or COMMIT failed, or the connection went under a write: none of the batch is
        // stored (a lost COMMIT may have landed, as a lost reply always may: the callers'
        // retries meet the MessageId already there), and every write in it fails.
        pgLogger().error("a batch of " + std::to_string(batch.size()) +
                         " writes failed and was rolled back: " + error.what());
        noteStorageFailure(error);
        failBatch(batch, error);
        m_auditTip.reset();
        m_signalsOnCommit.clear();
        if (m_writer && !error.connectionLost()) {
            try {
                if (m_writer->inTransaction()) {
                    m_writer->exec("ROLLBACK");
                }
            } catch (const PgError&) {
                m_writer.reset();
            }
        } else {
            m_writer.reset();
        }
        return false;
    } catch (...) {
        // Only a bug gets here: hand it to every caller rather than leave them waiting.
        for (QueuedWrite* write : batch) {
            if (!write->thrown) {
                write->thrown = std::current_exception();
            }
        }
        m_auditTip.reset();
        m_signalsOnCommit.clear();
        m_writer.reset(); // its transaction state is unknown; a new connection is certain
        return false;
    }
    m_signalsOnCommit.clear();
    {
        std::lock_guard lock(m_queueMutex);
        m_storageProblem.reset(); // the server wrote again
    }
    for (const FileToDelete& pending : filesToDelete) {
        std::error_code error;
        std::filesystem::remove(pending.file, error);
        if (error) {
            pgLogger().warning("could not delete the body file of " + pending.owner + ": " +
                               error.message());
        }
    }
    return true;
}

void PgStore::runInSavepoint(QueuedWrite& write, std::vector<FileToDelete>& filesToDelete) {
    Connection& connection = *m_writer;
    m_deleteAfterCommit.clear();
    const std::size_t signalsBefore = m_signalsOnCommit.size();
    // A savepoint per write, so that one write's failure undoes that write alone and the rest of
    // the batch still commits.
    connection.exec("SAVEPOINT write");
    bool kept = false;
    try {
        kept = write.run(write.body);
    } catch (const PgError& error) {
        pgLogger().error(std::string(write.operation) + " failed: " + error.what());
        write.failed = failure("store", std::string(write.operation) + ": " + error.what());
        if (error.connectionLost()) {
            throw; // the batch is lost (writeBatch)
        }
        noteStorageFailure(error);
    } catch (...) {
        write.thrown = std::current_exception();
    }
    if (kept) {
        connection.exec("RELEASE SAVEPOINT write");
        std::move(m_deleteAfterCommit.begin(), m_deleteAfterCommit.end(),
                  std::back_inserter(filesToDelete));
    } else {
        connection.exec("ROLLBACK TO SAVEPOINT write");
        connection.exec("RELEASE SAVEPOINT write");
        m_auditTip.reset(); // the audit rows it added are gone
        m_signalsOnCommit.resize(signalsBefore);
    }
    m_deleteAfterCommit.clear();
}

void PgStore::failBatch(const std::vector<QueuedWrite*>& batch, const PgError& error) {
    for (QueuedWrite* write : batch) {
        write->failed = failure("store", std::string(write->operation) + ": " + error.what());
    }
}

void PgStore::noteStorageFailure(const PgError& error) {
    // 53100 disk_full; 58030 io_error (the server could not read or write a data file).
    const std::string& state = error.sqlState();
    if (state != "53100" && state != "58030") {
        return;
    }
    std::lock_guard lock(m_queueMutex);
    const TimePoint since = m_storageProblem ? m_storageProblem->since : m_clock.now();
    m_storageProblem = StorageProblem{state == "53100" ? StorageFault::Full : StorageFault::IoError,
                                      error.what(), since};
}

// ---- helpers of the write bodies ----

void PgStore::appendAudit(TimePoint at, std::string_view actor, std::string_view event,
                          std::string_view messageId, std::string_view detail,
                          std::string_view nhsNumber) {
    Connection& connection = writer();
    if (!m_auditTip) {
        // Only this instance writes its chain (the instance lock), so its tip read once stays
        // true until a rollback takes rows away.
        AuditTip tip;
        const Rows last = connection.query(
            "SELECT seq, hash FROM audit WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
            Params().text(m_instance));
        if (last.count() > 0) {
            tip = AuditTip{last.integer(0, 0), last.text(0, 1)};
        }
        m_auditTip = std::move(tip);
    }
    // Drawn from the schema's sequence: the order of rows across every instance's chain.
    const std::int64_t seq = connection.query("SELECT nextval('audit_seq')").integer(0, 0);
    const std::string& prevHash = m_auditTip->hash;
    const sqlite::AuditFields fields{prevHash,  seq,    toEpochMillis(at), actor, event,
                                     messageId, detail, nhsNumber};
    std::string hash = sqlite::auditHash(fields);
    connection.query("INSERT INTO audit (seq, chain, at, actor, event, message_id, detail,"
                     " prev_hash, hash, nhs_number) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
                     " $10)",
                     Params()
                         .integer(seq)
                         .text(m_instance)
                         .integer(fields.atMillis)
                         .text(actor)
                         .text(event)
                         .text(messageId)
                         .text(detail)
                         .text(prevHash)
                         .text(hash)
                         .text(nhsNumber));
    m_auditTip = AuditTip{seq, std::move(hash)};
}

Status PgStore::insertOutbound(const OutboundMessage& message, TimePoint dueAt, TimePoint now) {
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
    Params params;
    params.text(message.messageId)
        .text(message.conversationId)
        .text(message.interaction)
        .text(message.service)
        .text(message.businessId)
        .text(message.endpoint)
        .text(message.soapAction)
        .text(message.contentType)
        .bytes(message.body)
        .integer(message.maxAttempts)
        .integer(toEpochMillis(message.createdAt))
        .integer(toEpochMillis(now))
        .integer(toEpochMillis(message.expiresAt))
        .integer(toEpochMillis(dueAt));
    if (message.bodyFile.empty()) {
        params.null();
    } else {
        params.text(message.bodyFile.string());
    }
    params
        .optionalInteger(message.retryInterval
                             ? std::optional<std::int64_t>(message.retryInterval->count())
                             : std::nullopt)
        .text(message.kind.empty() ? std::string("ebxml") : message.kind)
        .text(message.method.empty() ? std::string("POST") : message.method)
        .text(sqlite::encodeHeaders(message.headers))
        .integer(message.idempotent ? 1 : 0)
        .text(message.practice);
    // ON CONFLICT rather than a look first: two instances inserting the same id at once would
    // both find nothing, and one of them would then fail its whole batch on the key.
    const Rows inserted = writer().query(
        "INSERT INTO messages (message_id, conversation_id, interaction, service, business_id,"
        " endpoint, soap_action, content_type, body, state, attempts, max_attempts, created_at,"
        " updated_at, expires_at, next_attempt_at, body_file, retry_interval_ms, kind, method,"
        " headers, idempotent, practice)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', 0, $10, $11, $12, $13, $14,"
        " $15, $16, $17, $18, $19, $20, $21) ON CONFLICT (message_id) DO NOTHING",
        params);
    if (inserted.affected() == 0) {
        return failure("messageId", "message " + message.messageId + " already exists");
    }
    signalOnCommit(StoreSignal::OutboxChanged);
    return success();
}

Result<PgStore::LeaseCheck> PgStore::checkLease(const std::string& messageId,
                                                std::string_view owner) {
    // FOR UPDATE: the row stays as checked until this write commits, whoever else looks at it.
    const Rows rows = writer().query("SELECT state, lease_owner, attempts, expires_at FROM messages"
                                     " WHERE message_id = $1 FOR UPDATE",
                                     Params().text(messageId));
    if (rows.count() == 0) {
        return failure("messageId", "no message " + messageId);
    }
    const std::string state = rows.text(0, 0);
    if (state != toString(MessageState::Sending) || rows.isNull(0, 1) || rows.text(0, 1) != owner) {
        return failure("messageId", "message " + messageId + " is " + state + " and not held by " +
                                        std::string(owner) + ": the lease was lost");
    }
    return LeaseCheck{static_cast<int>(rows.integer(0, 2)), fromEpochMillis(rows.integer(0, 3))};
}

void PgStore::deleteAfterCommit(std::filesystem::path file, std::string owner) {
    if (!file.empty()) {
        m_deleteAfterCommit.push_back(FileToDelete{std::move(file), std::move(owner)});
    }
}

void PgStore::signalOnCommit(StoreSignal signal) {
    if (std::find(m_signalsOnCommit.begin(), m_signalsOnCommit.end(), signal) ==
        m_signalsOnCommit.end()) {
        m_signalsOnCommit.push_back(signal);
    }
}

void PgStore::setState(const std::string& messageId, MessageState state, TimePoint now) {
    const bool final = state == MessageState::Acked || state == MessageState::Failed ||
                       state == MessageState::Expired;
    // Leaving sending drops the lease; only queued and retry-wait carry a next attempt time, and
    // the caller sets it after this where it applies.
    const Rows rows =
        writer().query("UPDATE messages SET state = $2, updated_at = $3, next_attempt_at = NULL,"
                       " lease_owner = NULL, lease_until = NULL,"
                       " acked_at = CASE WHEN $2 = 'acked' THEN $3 ELSE acked_at END"
                       " WHERE message_id = $1 RETURNING body_file",
                       Params().text(messageId).text(toString(state)).integer(toEpochMillis(now)));
    if (final) {
        // The message will never be sent again: its body file can go once this commits.
        if (rows.count() > 0 && !rows.isNull(0, 0)) {
            deleteAfterCommit(rows.text(0, 0), "message " + messageId);
        }
        signalOnCommit(StoreSignal::MessageFinished);
    } else {
        signalOnCommit(StoreSignal::OutboxChanged);
    }
}

void PgStore::setLastError(const std::string& messageId, const MessageError& error, TimePoint now,
                           bool transportError) {
    writer().query("UPDATE messages SET last_error_code = $2, last_error_text = $3,"
                   " last_error_at = $4, last_error_transport = $5 WHERE message_id = $1",
                   Params()
                       .text(messageId)
                       .text(error.code)
                       .text(error.text)
                       .integer(toEpochMillis(now))
                       .integer(transportError ? 1 : 0));
}

// Rows another instance is changing right now (locked) are skipped, not waited for: that
// instance is ending or claiming them itself. A row changed and committed meanwhile is seen as
// committed (READ COMMITTED re-checks the conditions on the newest version before locking).

void PgStore::expireDue(TimePoint now) {
    const MessageError expired{"expired", "persist duration exceeded"};
    const Rows rows = writer().query(
        "WITH due AS (SELECT message_id FROM messages WHERE expires_at < $1"
        "  AND (state IN ('queued', 'retry-wait') OR (state = 'sending' AND lease_until <= $1))"
        "  ORDER BY expires_at, message_id FOR UPDATE SKIP LOCKED)"
        " UPDATE messages m SET state = 'expired', updated_at = $1, next_attempt_at = NULL,"
        " lease_owner = NULL, lease_until = NULL, last_error_code = $2, last_error_text = $3,"
        " last_error_at = $1, last_error_transport = 0"
        " FROM due WHERE m.message_id = due.message_id RETURNING m.message_id, m.body_file",
        Params().integer(toEpochMillis(now)).text(expired.code).text(expired.text));
    for (int row = 0; row < rows.count(); ++row) {
        const std::string messageId = rows.text(row, 0);
        if (!rows.isNull(row, 1)) {
            deleteAfterCommit(rows.text(row, 1), "message " + messageId);
        }
        appendAudit(now, kDispatcherActor, "expired", messageId, expired.text);
        signalOnCommit(StoreSignal::MessageFinished);
    }
}

void PgStore::failExhausted(TimePoint now) {
    const Rows rows = writer().query(
        "WITH exhausted AS (SELECT message_id FROM messages"
        "  WHERE max_attempts > 0 AND attempts >= max_attempts AND poll_url IS NULL"
        "  AND state IN ('queued', 'retry-wait', 'sending')"
        "  AND (state <> 'sending' OR lease_until <= $1)"
        "  ORDER BY message_id FOR UPDATE SKIP LOCKED)"
        " UPDATE messages m SET state = 'failed', updated_at = $1, next_attempt_at = NULL,"
        " lease_owner = NULL, lease_until = NULL, last_error_code = 'retries-exhausted',"
        " last_error_text = 'no attempts left after ' || m.attempts, last_error_at = $1,"
        " last_error_transport = 0"
        " FROM exhausted WHERE m.message_id = exhausted.message_id"
        " RETURNING m.message_id, m.attempts, m.body_file",
        Params().integer(toEpochMillis(now)));
    for (int row = 0; row < rows.count(); ++row) {
        const std::string messageId = rows.text(row, 0);
        if (!rows.isNull(row, 2)) {
            deleteAfterCommit(rows.text(row, 2), "message " + messageId);
        }
        appendAudit(now, kDispatcherActor, "failed", messageId,
                    "code retries-exhausted after " + rows.text(row, 1) + " attempts");
        signalOnCommit(StoreSignal::MessageFinished);
    }
}

void PgStore::failInterrupted(const std::string& messageId, std::int64_t attempts,
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

void PgStore::failLapsedUnsafe(TimePoint now) {
    // A lease that ran out means its holder is gone or stuck mid-attempt: the request may have
    // been sent and acted on. An idempotent message is claimed again; one that is not (e-RS
    // creates) must never be resent blindly.
    const Rows rows = writer().query("SELECT message_id, lease_owner, attempts FROM messages"
                                     " WHERE state = 'sending' AND lease_until <= $1"
                                     " AND idempotent = 0 AND poll_url IS NULL"
                                     " ORDER BY lease_until, message_id FOR UPDATE SKIP LOCKED",
                                     Params().integer(toEpochMillis(now)));
    for (int row = 0; row < rows.count(); ++row) {
        failInterrupted(rows.text(row, 0), rows.integer(row, 2), kDispatcherActor,
                        "the lease of " + rows.text(row, 1) + " ran out", now);
    }
}

// ---- the outbox ----

Status PgStore::enqueue(const OutboundMessage& message, const AuditEvent& event) {
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

// Up to $2 claimable messages at time $1, the soonest due first, then the oldest, as SQLite
// picks them (SqliteStore.cpp, kClaimableInOrder): each state read in order along its index and
// cut at $2. FOR UPDATE SKIP LOCKED in each: rows another instance is claiming this moment are
// passed over, so two instances claiming together take different messages and neither waits.
// A few rows past the batch may stay locked until this commit; another claim skips them.
constexpr std::string_view kClaim =
    "WITH queued AS (SELECT message_id, state, lease_owner, next_attempt_at AS due, created_at"
    "  FROM messages WHERE state = 'queued' AND next_attempt_at <= $1"
    "  AND (lease_until IS NULL OR lease_until <= $1)"
    "  ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " waiting AS (SELECT message_id, state, lease_owner, next_attempt_at AS due, created_at"
    "  FROM messages WHERE state = 'retry-wait' AND next_attempt_at <= $1"
    "  AND (lease_until IS NULL OR lease_until <= $1)"
    "  ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " lapsed AS (SELECT message_id, state, lease_owner, lease_until AS due, created_at"
    "  FROM messages WHERE state = 'sending' AND lease_until <= $1"
    "  ORDER BY lease_until, created_at LIMIT $2 FOR UPDATE SKIP LOCKED),"
    " picked AS (SELECT message_id AS picked_id, state AS was, lease_owner AS previous_owner,"
    "  due, created_at AS created FROM (SELECT * FROM queued UNION ALL SELECT * FROM waiting"
    "  UNION ALL SELECT * FROM lapsed) claimable ORDER BY due, created_at LIMIT $2)"
    // A poll for a deferred reply asks for Spine's answer to an attempt already made; it sends
    // nothing, so it is not another attempt (nor bounded by maxAttempts).
    " UPDATE messages SET state = 'sending',"
    " attempts = attempts + CASE WHEN poll_url IS NULL THEN 1 ELSE 0 END,"
    " lease_owner = $3, lease_until = $4, next_attempt_at = NULL,"
    " last_sent_at = CASE WHEN poll_url IS NULL THEN $1 ELSE last_sent_at END,"
    " updated_at = $1 FROM picked WHERE message_id = picked_id"
    " RETURNING message_id, conversation_id, interaction, service, business_id, endpoint, state,"
    " attempts, max_attempts, created_at, updated_at, expires_at, next_attempt_at, acked_at,"
    " last_error_code, last_error_text, soap_action, content_type, body, body_file,"
    " retry_interval_ms, kind, method, headers, idempotent, poll_url, acknowledged_at, practice,"
    " was, previous_owner, due, created";

Result<std::vector<ClaimedMessage>> PgStore::claimDue(std::string_view owner, Milliseconds lease,
                                                      int limit) {
    return write<std::vector<ClaimedMessage>>(
        "claimDue", [&]() -> Result<std::vector<ClaimedMessage>> {
            const TimePoint now = m_clock.now();
            const std::int64_t nowMillis = toEpochMillis(now);
            expireDue(now);
            failExhausted(now);
            failLapsedUnsafe(now);
            if (dispatchPaused(writer())) {
                return std::vector<ClaimedMessage>{}; // staff paused sending
            }
            const Rows rows = writer().query(kClaim, Params()
                                                         .integer(nowMillis)
                                                         .integer(limit < 0 ? 0 : limit)
                                                         .text(owner)
                                                         .integer(nowMillis + lease.count()));
            constexpr int kWas = 28;
            struct Claim {
                std::int64_t due;
                std::int64_t created;
                int row;
            };
            std::vector<Claim> order;
            for (int row = 0; row < rows.count(); ++row) {
                order.push_back({rows.integer(row, kWas + 2), rows.integer(row, kWas + 3), row});
            }
            // RETURNING keeps no order: audit and hand out in the order they were picked.
            std::sort(order.begin(), order.end(), [&](const Claim& a, const Claim& b) {
                return std::tie(a.due, a.created, a.row) < std::tie(b.due, b.created, b.row);
            });
            std::vector<ClaimedMessage> claimed;
            claimed.reserve(order.size());
            for (const Claim& claim : order) {
                ClaimedMessage message = readClaim(rows, claim.row);
                std::string detail = message.pollUrl.empty()
                                         ? "attempt " + std::to_string(message.record.attempts)
                                         : "poll for the reply to attempt " +
                                               std::to_string(message.record.attempts);
                if (rows.text(claim.row, kWas) == "sending") {
                    detail += "; lease of " + rows.text(claim.row, kWas + 1) + " had run out";
                }
                appendAudit(now, kDispatcherActor, "sending", message.record.messageId, detail);
                claimed.push_back(std::move(message));
            }
            return claimed;
        });
}

template <typename Change>
Status PgStore::writeHeld(std::string_view operation, const std::string& messageId,
                          std::string_view owner, Change&& change) {
    return write<Unit>(operation, [&]() -> Status {
        const Result<LeaseCheck> held = checkLease(messageId, owner);
        if (!held) {
            return held.error();
        }
        return change(*held, m_clock.now());
    });
}

Status PgStore::finishAcked(std::string_view operation, const std::string& messageId,
                            std::string_view owner, const std::string& detail,
                            const StoredReply* reply) {
    return writeHeld(operation, messageId, owner, [&](const LeaseCheck&, TimePoint now) {
        setState(messageId, MessageState::Acked, now);
        const std::string note = reply ? keepReply(messageId, *reply) : std::string();
        appendAudit(now, kDispatcherActor, "acked", messageId, detail + note);
        return success();
    });
}

Status PgStore::finishFailed(std::string_view operation, const std::string& messageId,
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

Status PgStore::recordAcked(const std::string& messageId, std::string_view owner,
                            const std::string& detail) {
    return finishAcked("recordAcked", messageId, owner, detail, nullptr);
}

Status PgStore::recordRetry(const std::string& messageId, std::string_view owner,
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
            writer().query("UPDATE messages SET next_attempt_at = $2 WHERE message_id = $1",
                           Params().text(messageId).integer(toEpochMillis(nextAttemptAt)));
            appendAudit(now, kDispatcherActor, "retry-scheduled", messageId,
                        "code " + error.code + "; next attempt " + formatUtc(nextAttemptAt));
            return success();
        });
}

Status PgStore::recordFailed(const std::string& messageId, std::string_view owner,
                             const MessageError& error) {
    return finishFailed("recordFailed", messageId, owner, error, nullptr);
}

Status PgStore::recordExpired(const std::string& messageId, std::string_view owner,
                              const std::string& reason) {
    return writeHeld("recordExpired", messageId, owner, [&](const LeaseCheck&, TimePoint now) {
        setState(messageId, MessageState::Expired, now);
        setLastError(messageId, {"expired", reason}, now, false);
        appendAudit(now, kDispatcherActor, "expired", messageId, reason);
        return success();
    });
}

std::string PgStore::keepReply(const std::string& messageId, const StoredReply& reply) {
    const std::string_view body =
        std::string_view(reply.body).substr(0, std::min(reply.body.size(), kMaxStoredReplyBytes));
    writer().query("UPDATE messages SET reply_status = $2, reply_content_type = $3,"
                   " reply_location = $4, reply_etag = $5, reply_body = $6 WHERE message_id = $1",
                   Params()
                       .text(messageId)
                       .integer(reply.status)
                       .text(reply.contentType)
                       .text(reply.location)
                       .text(reply.etag)
                       .bytes(body));
    if (body.size() == reply.body.size()) {
        return {};
    }
    pgLogger().warning("the reply to " + messageId + " was " + std::to_string(reply.body.size()) +
                       " bytes; kept the first " + std::to_string(body.size()));
    return "; reply body cut to " + std::to_string(body.size()) + " of " +
           std::to_string(reply.body.size()) + " bytes";
}

Status PgStore::recordAckedWithReply(const std::string& messageId, std::string_view owner,
                                     const std::string& detail, const StoredReply& reply) {
    return finishAcked("recordAckedWithReply", messageId, owner, detail, &reply);
}

Status PgStore::recordFailedWithReply(const std::string& messageId, std::string_view owner,
                                      const MessageError& error, const StoredReply& reply) {
    return finishFailed("recordFailedWithReply", messageId, owner, error, &reply);
}

Status PgStore::recordDeferred(const std::string& messageId, std::string_view owner,
                               TimePoint nextAttemptAt, const std::string& pollUrl) {
    return writeHeld(
        "recordDeferred", messageId, owner, [&](const LeaseCheck& lease, TimePoint now) -> Status {
            if (pollUrl.empty()) {
                return failure("pollUrl", "is empty");
            }
            if (nextAttemptAt > lease.expiresAt) {
                const MessageError expired{"expired", "no reply before the persist duration ended"};
                setState(messageId, MessageState::Expired, now);
                setLastError(messageId, expired, now, false);
                appendAudit(now, kDispatcherActor, "expired", messageId,
                            "reply deferred; next poll " + formatUtc(nextAttemptAt) +
                                " would be after expiry " + formatUtc(lease.expiresAt));
                return success();
            }
            setState(messageId, MessageState::RetryWait, now);
            writer().query(
                "UPDATE messages SET next_attempt_at = $2, poll_url = $3 WHERE message_id = $1",
                Params().text(messageId).integer(toEpochMillis(nextAttemptAt)).text(pollUrl));
            appendAudit(now, kDispatcherActor, "reply-deferred", messageId, "poll " + pollUrl);
            return success();
        });
}

std::optional<StoredReply> PgStore::replyOf(const std::string& messageId) {
    return read<std::optional<StoredReply>>("replyOf", std::nullopt, [&](Connection& db) {
        const Rows rows =
            db.query("SELECT reply_status, reply_content_type, reply_location, reply_etag,"
                     " reply_body FROM messages WHERE message_id = $1 AND reply_status IS NOT NULL",
                     Params().text(messageId));
        std::optional<StoredReply> reply;
        if (rows.count() > 0) {
            reply = StoredReply{static_cast<int>(rows.integer(0, 0)), rows.text(0, 1),
                                rows.text(0, 2), rows.text(0, 3), rows.bytes(0, 4)};
        }
        return reply;
    });
}

Result<int> PgStore::releaseAllLeases() {
    // In a shared store most messages in sending belong to other instances, alive and sending
    // them now: releasing those would send each twice. Only this instance's own are released:
    // their owner names this instance (leaseOwnerPrefix), and the instance lock this store holds
    // proves the process that took them is gone. Others' lapsed leases are taken by claimDue.
    return write<int>("releaseAllLeases", [&]() -> Result<int> {
        const Rows held = writer().query(
            "SELECT message_id, lease_owner, attempts, idempotent = 0 AND poll_url IS NULL"
            " FROM messages WHERE state = 'sending' AND starts_with(lease_owner, $1)"
            " ORDER BY created_at, message_id FOR UPDATE",
            Params().text(leaseOwnerPrefix(m_instance)));
        const TimePoint now = m_clock.now();
        for (int row = 0; row < held.count(); ++row) {
            const std::string messageId = held.text(row, 0);
            const std::int64_t attempts = held.integer(row, 2);
            if (held.boolean(row, 3)) {
                failInterrupted(messageId, attempts, "startup", "the agent stopped during it", now);
                signalOnCommit(StoreSignal::MessageFinished);
                continue;
            }
            setState(messageId, MessageState::RetryWait, now);
            // As SqliteStore::releaseAllLeases: the interrupted attempt is given back.
            const Rows limited =
                writer().query("UPDATE messages SET next_attempt_at = $2, max_attempts ="
                               " max_attempts + CASE WHEN max_attempts > 0 THEN 1 ELSE 0 END"
                               " WHERE message_id = $1 RETURNING max_attempts > 0",
                               Params().text(messageId).integer(toEpochMillis(now)));
            appendAudit(now, "startup", "lease-released", messageId,
                        "attempt " + std::to_string(attempts) + " by " + held.text(row, 1) +
                            " was interrupted" +
                            (limited.count() > 0 && limited.boolean(0, 0)
                                 ? "; not counted against the limit"
                                 : ""));
        }
        if (held.count() > 0) {
            signalOnCommit(StoreSignal::OutboxChanged);
        }
        return held.count();
    });
}

std::optional<TimePoint> PgStore::nextDueTime() {
    return read<std::optional<TimePoint>>("nextDueTime", std::nullopt, [&](Connection& db) {
        // As SQLite's (SqliteStore::nextDueTime): due attempts, just past expiries, lapsing
        // leases; while paused only expiries.
        const Rows rows =
            db.query(dispatchPaused(db) ? "SELECT MIN(expires_at) + 1 FROM messages"
                                          " WHERE state IN ('queued', 'retry-wait', 'sending')"
                                        : "SELECT MIN(t) FROM ("
                                          " SELECT MIN(next_attempt_at) AS t FROM messages"
                                          "  WHERE state IN ('queued', 'retry-wait')"
                                          " UNION ALL SELECT MIN(expires_at) + 1 FROM messages"
                                          "  WHERE state IN ('queued', 'retry-wait')"
                                          " UNION ALL SELECT MIN(lease_until) FROM messages"
                                          "  WHERE state = 'sending') due");
        std::optional<TimePoint> due;
        if (rows.count() > 0) {
            if (const auto millis = rows.optionalInteger(0, 0)) {
                due = fromEpochMillis(*millis);
            }
        }
        return due;
    });
}

std::optional<MessageRecord> PgStore::findMessage(const std::string& messageId) {
    return read<std::optional<MessageRecord>>(
        "findMessage", std::nullopt, [&](Connection& db) { return loadRecord(db, messageId); });
}

StatusSummary PgStore::status() {
    StatusSummary empty;
    for (MessageState state : {MessageState::Queued, MessageState::Sending, MessageState::RetryWait,
                               MessageState::Acked, MessageState::Failed, MessageState::Expired}) {
        empty.counts[state] = 0;
    }
    {
        std::lock_guard lock(m_queueMutex);
        empty.storageProblem = m_storageProblem;
    }
    return read<StatusSummary>("status", empty, [&](Connection& db) {
        StatusSummary summary = empty;
        {
            const Rows counts =
                db.query("SELECT practice, state, COUNT(*) FROM messages GROUP BY practice, state");
            for (int row = 0; row < counts.count(); ++row) {
                if (const auto state = messageStateFromString(counts.text(row, 1))) {
                    summary.counts[*state] += counts.integer(row, 2);
                    summary.countsByPractice[counts.text(row, 0)][*state] = counts.integer(row, 2);
                }
            }
        }
        {
            const Rows times = db.query("SELECT (SELECT MIN(created_at) FROM messages"
                                        "         WHERE state IN ('queued', 'retry-wait')),"
                                        "       (SELECT MAX(acked_at) FROM messages)");
            if (const auto oldest = times.optionalInteger(0, 0)) {
                summary.oldestQueuedAt = fromEpochMillis(*oldest);
            }
            if (const auto acked = times.optionalInteger(0, 1)) {
                summary.lastAckedAt = fromEpochMillis(*acked);
            }
        }
        {
            const Rows lastError = db.query("SELECT last_error_code, last_error_text, last_error_at"
                                            " FROM messages WHERE last_error_transport = 1"
                                            " AND last_error_at IS NOT NULL"
                                            " ORDER BY last_error_at DESC LIMIT 1");
            if (lastError.count() > 0) {
                summary.lastTransportError =
                    MessageError{lastError.text(0, 0), lastError.text(0, 1)};
                summary.lastTransportErrorAt = fromEpochMillis(lastError.integer(0, 2));
            }
        }
        addOperationsStatus(db, summary);
        return summary;
    });
}

// ---- the audit trail ----

std::vector<AuditRow> PgStore::auditForMessage(const std::string& messageId) {
    return read<std::vector<AuditRow>>("auditForMessage", {}, [&](Connection& db) {
        return readAuditRows(db.query(
            sql({"SELECT ", kAuditColumns, " FROM audit WHERE message_id = $1 ORDER BY seq"}),
            Params().text(messageId)));
    });
}

std::vector<AuditRow> PgStore::auditAfter(std::int64_t afterSeq, int limit) {
    return read<std::vector<AuditRow>>("auditAfter", {}, [&](Connection& db) {
        return readAuditRows(db.query(
            sql({"SELECT ", kAuditColumns, " FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"}),
            Params().integer(afterSeq).integer(limit < 0 ? 0 : limit)));
    });
}

Status PgStore::recordAuditEvent(const AuditEvent& event) {
    return write<Unit>("recordAuditEvent", [&]() -> Status {
        appendAudit(m_clock.now(), event.actor, event.event, event.messageId, event.detail,
                    event.nhsNumber);
        return success();
    });
}

AuditVerification PgStore::verifyAudit() {
    AuditVerification unreadable;
    unreadable.intact = false;
    unreadable.reason = "the audit trail could not be read (see the log)";
    return read<AuditVerification>("verifyAudit", unreadable, [&](Connection& db) {
        // Every chain at once, in seq order, so that the first broken row named is the earliest
        // anywhere; a page at a time, all in the read's one snapshot.
        constexpr int kPage = 5000;
        AuditVerification result;
        sqlite::AuditChains chains;
        std::int64_t after = 0;
        for (;;) {
            const Rows rows = db.query(
                sql({"SELECT ", kAuditColumns, " FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2"}),
                Params().integer(after).integer(kPage));
            for (int index = 0; index < rows.count(); ++index) {
                const AuditRow row = readAuditRow(rows, index);
                ++result.rowsChecked;
                if (auto reason = chains.next(row)) {
                    result.intact = false;
                    result.firstBrokenSeq = row.seq;
                    result.reason = std::move(*reason);
                    return result;
                }
                after = row.seq;
            }
            if (rows.count() < kPage) {
                break;
            }
        }
        result.lastSeq = chains.lastSeq();
        result.lastHash = chains.lastHash();
        return result;
    });
}

} // namespace pg

std::unique_ptr<Store> openPostgresStore(const std::string& url, const std::string& instance,
                                         const Clock& clock, bool contendsForWorkflows) {
    return std::make_unique<pg::PgStore>(url, instance, clock, contendsForWorkflows);
}

} // namespace gp::agent
