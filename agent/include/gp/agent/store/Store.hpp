#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/store/ConversationTypes.hpp>
#include <gp/agent/store/EpsTypes.hpp>
#include <gp/agent/store/ErsTypes.hpp>
#include <gp/agent/store/InboxTypes.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::agent {

/// The outbox state machine:
///   queued ──claim──▶ sending ──ack──▶ acked
///                        │ ├──permanent──▶ failed
///                        │ └──retriable──▶ retry-wait ──claim──▶ sending …
///   queued/retry-wait/sending past the persist duration ──▶ expired
enum class MessageState { Queued, Sending, RetryWait, Acked, Failed, Expired };

std::string_view toString(MessageState state); // "queued", "sending", "retry-wait", ...
std::optional<MessageState> messageStateFromString(std::string_view text);

/// A message the workflow hands to the outbox, fully built: the same bytes go out on every
/// attempt, so the MessageId inside never changes.
struct OutboundMessage {
    std::string messageId; // ebXML MessageId (upper-case UUID): the outbox key
    std::string conversationId;
    std::string interaction; // e.g. PORX_IN020101SM31
    std::string service;     // e.g. urn:nhs:names:services:mm
    std::string businessId;  // e.g. the prescription ID; never patient data
    std::string endpoint;    // full URL to POST to
    std::string soapAction;
    std::string contentType; // Content-Type header value
    std::string body;        // the whole HTTP body
    TimePoint createdAt;
    TimePoint expiresAt; // createdAt + persist duration
    int maxAttempts = 0; // 0: bounded by expiresAt alone
    /// Large bodies (GP2GP attachments, fragments) live in a file under the state directory,
    /// written and fsynced before enqueue; `body` is then empty. The store deletes the file when
    /// the message reaches a final state.
    std::filesystem::path bodyFile;
    /// The recipient's retry interval (SDS nhsMHSRetryInterval), the base of the backoff for
    /// this message; unset: the agent's retry.baseDelay.
    std::optional<Milliseconds> retryInterval;
    /// How replies are read: "ebxml" (Spine MHS: ebXML/SOAP/HL7 acks) or "fhir" (e-RS REST:
    /// status codes and OperationOutcome).
    std::string kind = "ebxml";
    std::string method = "POST";
    /// Request headers besides SOAPAction and Content-Type (e-RS: business function, ODS,
    /// correlation id, If-Match, bearer token).
    std::vector<std::pair<std::string, std::string>> headers;
    /// False for a request whose repetition would do the work twice (e-RS create has no
    /// idempotency key): when its outcome is unknown (timeout, reset, 504) it is not resent but
    /// failed with code "outcome-unknown", and its workflow finds out what happened.
    bool idempotent = true;
    /// The ODS code of the practice it is sent for (docs/multi-practice.md). "" means the
    /// agent's default practice: every message stored before practices existed has it.
    std::string practice = {};
};

/// The reply that ended a message (acked, or failed permanently), kept for the workflow that
/// waits on it: the UBRN of a created referral, an EPS cancellation response, a Location.
struct StoredReply {
    int status = 0;
    std::string contentType;
    std::string location; // Location or Content-Location header, if any
    std::string etag;     // ETag header, if any
    std::string body;     // at most kMaxStoredReplyBytes: the store keeps only that much
};

/// Spine and e-RS answers are a few kilobytes; a body beyond this is cut (and audited) so that a
/// misbehaving server cannot bloat the store.
inline constexpr std::size_t kMaxStoredReplyBytes = 1024 * 1024;

/// Who did what, for the audit row written in the same transaction as a state change.
/// `detail` holds ids, codes and counts, never patient data.
struct AuditEvent {
    std::string actor; // "api", "dispatcher", "operator:<name>", "startup"
    std::string
        event; // "accepted", "sending", "acked", "retry-scheduled", "failed", "expired", ...
    std::string messageId;
    std::string detail;
    /// The patient the action concerns, when it concerns one (EPS, GP2GP, e-RS). The audit
    /// trail is the one place a patient identifier is kept beside who acted; logs never hold it.
    std::string nhsNumber = {};
};

struct MessageError {
    std::string code; // Spine's code ("0002", "ValueNotRecognized", "200") or ours ("http-503")
    std::string text;
};

struct MessageRecord {
    std::string messageId;
    std::string conversationId;
    std::string interaction;
    std::string service;
    std::string businessId;
    std::string endpoint;
    MessageState state = MessageState::Queued;
    int attempts = 0;
    int maxAttempts = 0;
    TimePoint createdAt;
    TimePoint updatedAt;
    TimePoint expiresAt;
    std::optional<TimePoint> nextAttemptAt; // queued and retry-wait only
    std::optional<TimePoint> ackedAt;
    std::optional<MessageError> lastError;
    std::string kind = "ebxml";
    /// Set when staff acknowledged a failed or expired message (it no longer needs attention);
    /// cleared when it is retried.
    std::optional<TimePoint> acknowledgedAt;
    std::string practice; // OutboundMessage::practice ("" the default practice)
};

/// A message claimed for sending, with the bytes to send.
struct ClaimedMessage {
    MessageRecord record; // attempts already counts this attempt
    std::string soapAction;
    std::string contentType;
    std::string body;               // empty when bodyFile is set
    std::filesystem::path bodyFile; // stream the body from here
    std::optional<Milliseconds> retryInterval;
    std::string method = "POST";
    std::vector<std::pair<std::string, std::string>> headers;
    bool idempotent = true;
    /// Set when Spine answered 202 with a Content-Location: this attempt GETs that URL for the
    /// deferred reply instead of sending the message again.
    std::string pollUrl;
};

struct AuditRow {
    std::int64_t seq = 0;
    TimePoint at;
    std::string actor;
    std::string event;
    std::string messageId;
    std::string detail;
    /// Unset for rows written before the column existed (schema 8): their hash does not cover
    /// it. Set ("" when no patient is concerned) for every row written since.
    std::optional<std::string> nhsNumber;
    std::string prevHash; // hex SHA-256 of the previous row ("" before the first row)
    std::string hash;     // hex SHA-256 over prevHash and this row's content
    /// The chain the row belongs to: "" in a SQLite store (one chain); in a PostgreSQL store the
    /// name of the gp-agent instance that wrote it (store.instance), one chain per instance
    /// (docs/architecture.md). prevHash links rows of the same chain only.
    std::string chain;
};

struct AuditVerification {
    bool intact = true;
    std::int64_t rowsChecked = 0;
    std::optional<std::int64_t> firstBrokenSeq;
    std::string reason; // e.g. "hash does not match content", "prev_hash does not match row 41"
    /// When intact: the last row's seq and hash (0 and "" for an empty trail). Written down
    /// elsewhere, they let a later verify also prove that no rows were cut from the end.
    std::int64_t lastSeq = 0;
    std::string lastHash;
};

/// Why the store could not keep what it was given, as far as anyone can act on it: its disk is
/// full (SQLITE_FULL, ENOSPC, EDQUOT), or its disk failed (an SQLite I/O error, EIO).
enum class StorageFault { Full, IoError };

std::string_view toString(StorageFault fault); // "full", "io-error"

/// What a failed store or state-file write says about the disk, or nothing when it says nothing
/// (a constraint, a bad value). The one reading of a storage failure (StorageFault.cpp): the API
/// answers by it (507 for Full, 503 otherwise) and the store reports it in status().
std::optional<StorageFault> storageFaultOf(const Error& error);

/// The last write the store tried failed on its disk; cleared by the next write that succeeds.
struct StorageProblem {
    StorageFault fault = StorageFault::Full;
    std::string detail; // SQLite's words and code, e.g. "database or disk is full (SQLITE_FULL)"
    TimePoint since;    // the first failure of this spell
};

struct StatusSummary {
    std::map<MessageState, std::int64_t> counts; // every state present, zero when none
    std::optional<TimePoint> oldestQueuedAt;     // created time of the oldest queued/retry-wait
    std::optional<TimePoint> lastAckedAt;
    std::optional<MessageError> lastTransportError;
    std::optional<TimePoint> lastTransportErrorAt;
    /// The store cannot write just now (set until a write succeeds again).
    std::optional<StorageProblem> storageProblem;
    std::optional<TimePoint> lastSentAt; // start of the latest attempt to send (not a poll)
    std::int64_t needsAttention = 0;     // failed + expired, not acknowledged by staff
    bool paused = false;                 // staff paused sending (see setDispatchPaused)
    std::map<std::string, std::int64_t> transferStates; // GP2GP conversations by state
    std::int64_t recordsReceived = 0; // requesting role: records imported (complete or closed)
    /// `counts` split by MessageRecord::practice ("" the default practice), only states present:
    /// what a token scoped to some practices is shown.
    std::map<std::string, std::map<MessageState, std::int64_t>> countsByPractice;
};

/// What another gp-agent instance sharing this store did that this one may need to act on, or
/// what changed in this instance's standing among them. Only a shared (PostgreSQL) store raises
/// them (LISTEN/NOTIFY); a SQLite store has one instance and never does.
enum class StoreSignal {
    OutboxChanged,     // messages were queued or rescheduled: a dispatcher re-reads nextDueTime
    InboxChanged,      // an inbound message was admitted: the workflow leader processes it
    MessageFinished,   // an outbound message reached a final state: the workflow leader reconciles
    WorkflowLeadTaken, // this instance now runs the workflows (see leadsWorkflows)
};
using StoreSignalListener = std::function<void(StoreSignal)>;

/// Everything one workflow decision changes, applied in one transaction with its audit rows:
/// a transfer never moves without its messages being queued, and an inbound message is never
/// marked processed without the changes it caused.
struct WorkflowStep {
    std::optional<Conversation> conversation;  // upserted
    std::vector<ConversationPart> parts;       // upserted
    std::vector<OutboundMessage> outbound;     // enqueued (queued, due now)
    std::vector<std::string> inboundProcessed; // inbox MessageIds marked processed
    std::vector<AuditEvent> audit;
};

/// One e-RS workflow decision (agent/src/ers/), applied like a WorkflowStep: the request and its
/// steps upserted, the outbound messages queued (due now), the audit rows written, all in one
/// transaction.
struct ErsWorkflowStep {
    ErsRequest request;               // upserted; createdAt kept from the first write
    std::vector<ErsStepRecord> steps; // upserted by (requestId, seq)
    std::vector<OutboundMessage> outbound;
    std::vector<AuditEvent> audit;
};

/// The agent's durable state. Every write is one transaction that holds its audit row(s) and is
/// on disk (fsync) before the call returns. All SQL lives behind this interface.
class Store {
public:
    virtual ~Store() = default;

    /// Stores a new message as queued (due now) with its "accepted" audit row.
    /// Fails (nothing stored) if the MessageId exists or the store cannot write.
    virtual Status enqueue(const OutboundMessage& message, const AuditEvent& event) = 0;

    /// Claims up to `limit` due messages (queued or retry-wait, next attempt <= now, not expired,
    /// no live lease) for `owner` until now + lease: state sending, attempts + 1, audit "sending".
    /// A sending message whose lease has run out is claimable too (its holder is gone or stuck),
    /// unless it is not idempotent: that one ends failed with "outcome-unknown" (audited).
    /// Messages found past their expiry on the way are moved to expired (audited) instead, and
    /// those with maxAttempts > 0 that have used them all to failed ("retries-exhausted").
    virtual Result<std::vector<ClaimedMessage>> claimDue(std::string_view owner, Milliseconds lease,
                                                         int limit) = 0;

    /// Outcomes of an attempt. Each checks that `owner` still holds the lease.
    virtual Status recordAcked(const std::string& messageId, std::string_view owner,
                               const std::string& detail) = 0;
    virtual Status recordRetry(const std::string& messageId, std::string_view owner,
                               TimePoint nextAttemptAt, const MessageError& error,
                               bool transportError) = 0;
    virtual Status recordFailed(const std::string& messageId, std::string_view owner,
                                const MessageError& error) = 0;
    virtual Status recordExpired(const std::string& messageId, std::string_view owner,
                                 const std::string& reason) = 0;

    /// Acknowledged with the reply that said so (kept; see replyOf).
    virtual Status recordAckedWithReply(const std::string& messageId, std::string_view owner,
                                        const std::string& detail, const StoredReply& reply) = 0;
    /// Failed permanently with the reply that said so (kept; see replyOf).
    virtual Status recordFailedWithReply(const std::string& messageId, std::string_view owner,
                                         const MessageError& error, const StoredReply& reply) = 0;
    /// Spine deferred its answer (202 + Content-Location): back to retry-wait until
    /// `nextAttemptAt`, after which claims poll `pollUrl` (GET) instead of resending. Audited
    /// "reply-deferred".
    virtual Status recordDeferred(const std::string& messageId, std::string_view owner,
                                  TimePoint nextAttemptAt, const std::string& pollUrl) = 0;
    virtual std::optional<StoredReply> replyOf(const std::string& messageId) = 0;

    /// At start-up. A SQLite store (one instance): every message left in sending by a previous
    /// process goes back to retry-wait, due now (audited "lease-released"; the interrupted
    /// attempt does not count against maxAttempts), except one that is
    /// not idempotent, which may have been acted on: it ends failed with "outcome-unknown"
    /// (audited "failed"), so its workflow looks up what happened. A shared store does the same
    /// for this instance's own leases only (owner starting with leaseOwnerPrefix of its name);
    /// other instances' are theirs until they lapse. Returns how many.
    virtual Result<int> releaseAllLeases() = 0;

    /// Earliest time at which claimDue may find work, so the dispatcher can sleep until then: the
    /// next attempt of a waiting message, the end of a sending message's lease, or just past a
    /// waiting message's expiry (so that claimDue ends it). Nothing when no message is pending.
    virtual std::optional<TimePoint> nextDueTime() = 0;

    virtual std::optional<MessageRecord> findMessage(const std::string& messageId) = 0;
    virtual std::vector<AuditRow> auditForMessage(const std::string& messageId) = 0;
    virtual StatusSummary status() = 0;
    virtual std::vector<AuditRow> auditAfter(std::int64_t afterSeq, int limit) = 0;

    /// Recomputes the hash chain from the first row and names the first row that does not match.
    virtual AuditVerification verifyAudit() = 0;
    /// Writes one audit row for an event that changes no stored state (for example API tokens
    /// added or revoked in the tokens file), with `event`'s fields and the store's now.
    virtual Status recordAuditEvent(const AuditEvent& event) = 0;

    // ---- staff actions on the outbox (agent/src/store/SqliteOperations.cpp) ----

    /// Messages in any of `states` (any state when empty) sent for any of `practices` (ODS codes
    /// as stored in MessageRecord::practice, "" the default practice; any when empty), newest
    /// first.
    virtual std::vector<MessageRecord> listMessages(const std::vector<MessageState>& states,
                                                    int limit,
                                                    const std::vector<std::string>& practices) = 0;
    /// Puts a failed or expired message back in the queue, due now: attempts from zero, a fresh
    /// persist window as long as its first one, no acknowledgement; audited "retry-requested"
    /// with `event`'s actor and detail. The same MessageId and bytes go out again. Fails naming
    /// "messageId" (unknown), "state" (not failed or expired) or "body" (a large body's file was
    /// deleted when it failed), changing nothing.
    virtual Status requeueMessage(const std::string& messageId, const AuditEvent& event) = 0;
    /// Staff have seen a failed or expired message: it stops counting in needsAttention. Audited
    /// "acknowledged" once (again: success, nothing written). Fails naming "messageId" or "state".
    virtual Status acknowledgeMessage(const std::string& messageId, const AuditEvent& event) = 0;
    /// While paused claimDue claims nothing (messages still expire) and nextDueTime names only
    /// expiries; the flag is stored, so it survives a restart. Audited "dispatch-paused" or
    /// "dispatch-resumed" when it changes; setting it to what it is writes nothing.
    virtual Status setDispatchPaused(bool paused, const AuditEvent& event) = 0;
    /// The newest `limit` audit rows, oldest first.
    virtual std::vector<AuditRow> latestAudit(int limit) = 0;

    // ---- inbox: inbound messages (agent/src/store/SqliteInbox.cpp) ----

    /// Stores a received message (state received) with its audit row, unless its MessageId was
    /// seen before and is still within keepUntil: then nothing changes and the original is
    /// returned so its acknowledgement can be sent again. Past keepUntil the old row is replaced.
    /// A duplicate still commits one audit row ("duplicate-received", with `event`'s actor and
    /// detail), so that staff can see it was eliminated. The store never deletes the duplicate's
    /// own body file (the caller does); a replaced row's file is deleted unless it is the same
    /// path.
    virtual Result<InboundAdmission> admitInbound(const InboundMessage& message,
                                                  const AuditEvent& event) = 0;
    /// Received messages not yet processed, oldest first.
    virtual Result<std::vector<InboundRecord>> pendingInbound(int limit) = 0;
    virtual std::optional<InboundRecord> findInbound(const std::string& messageId) = 0;
    /// Processing gave up on a message (it stays for duplicate elimination, audited).
    virtual Status markInboundFailed(const std::string& messageId, const std::string& error) = 0;
    /// Forgets inbox rows past keepUntil and deletes their body files. Returns how many. Rows not
    /// yet processed (state received) are kept whatever their age: forgetting them would lose
    /// the message.
    virtual Result<int> purgeExpiredInbound() = 0;

    // ---- GP2GP transfers (agent/src/store/SqliteConversations.cpp) ----

    virtual std::optional<Conversation> findConversation(const std::string& conversationId) = 0;
    /// Newest first; `state` empty means any.
    virtual std::vector<Conversation> listConversations(const std::string& state, int limit) = 0;
    virtual std::vector<ConversationPart> partsOf(const std::string& conversationId) = 0;
    /// Outbox messages belonging to a conversation (any state), oldest first.
    virtual std::vector<MessageRecord> messagesOf(const std::string& conversationId) = 0;
    /// Conversations whose deadline is at or before `now`, and the earliest future deadline.
    virtual std::vector<Conversation> conversationsDue(TimePoint now) = 0;
    virtual std::optional<TimePoint> nextConversationDeadline() = 0;

    /// Applies a workflow decision atomically (see WorkflowStep), with its audit rows: step.audit
    /// as given, then one "queued" row per outbound message (actor: the first audit event's, or
    /// "workflow"). A conversation keeps the createdAt of its first write (now when unset);
    /// updatedAt is always the store's now. Outbound messages are due now. Fails whole if a
    /// MessageId exists, an inboundProcessed id is not in the inbox or no longer received (another
    /// step, perhaps another instance's, processed or failed it first: an inbound message is
    /// processed exactly once), or a part names an unknown conversation.
    virtual Status applyStep(const WorkflowStep& step) = 0;

    // ---- EPS prescriptions: line items and their states (agent/src/store/SqliteEps.cpp) ----

    /// Enqueues the ParentPrescription (as enqueue does, with `event` as its "accepted" row) and
    /// records the prescription and its items in the same transaction. A prescription id sent
    /// from here before is queued again (Spine judges it), but keeps its items unless all of
    /// them were rejected or undelivered. Fails whole if the MessageId exists.
    virtual Status recordPrescription(const EpsPrescription& prescription,
                                      const std::vector<EpsItem>& items,
                                      const OutboundMessage& message, const AuditEvent& event) = 0;
    /// Enqueues a CancellationRequest and, in the same transaction, marks the item
    /// cancel-requested with the message id and reason; a prescription or item this agent did
    /// not know is recorded then (Spine decides whether it exists).
    virtual Status recordCancellation(const EpsItem& item, const std::string& nhsNumber,
                                      const OutboundMessage& message, const AuditEvent& event) = 0;
    virtual std::optional<EpsPrescription> findPrescription(const std::string& prescriptionId) = 0;
    /// Items of a prescription in the order they were recorded.
    virtual std::vector<EpsItem> itemsOf(const std::string& prescriptionId) = 0;
    /// Items whose prescription or latest cancellation went in `messageId`.
    virtual std::vector<EpsItem> itemsByMessage(const std::string& messageId) = 0;
    /// Sets each item's state, code and text (keyed by prescription and line item id; updatedAt
    /// is the store's now), with one audit row `event`, in one transaction.
    virtual Status updateItems(const std::vector<EpsItem>& items, const AuditEvent& event) = 0;
    /// Outbox messages about a prescription (its ParentPrescription and cancellations), oldest
    /// first.
    virtual std::vector<MessageRecord> epsMessagesOf(const std::string& prescriptionId) = 0;

    // ---- e-RS requests: referrals and their steps (agent/src/store/SqliteErs.cpp) ----

    /// Applies an e-RS workflow decision atomically (see ErsWorkflowStep) with its audit rows,
    /// then one "queued" row per outbound message. Fails whole if a MessageId exists.
    virtual Status applyErsStep(const ErsWorkflowStep& step) = 0;
    virtual std::optional<ErsRequest> findErsRequest(const std::string& requestId) = 0;
    /// The request that holds this UBRN, if any.
    virtual std::optional<ErsRequest> findErsRequestByUbrn(const std::string& ubrn) = 0;
    /// A request's steps in the order they were queued.
    virtual std::vector<ErsStepRecord> ersStepsOf(const std::string& requestId) = 0;
    /// Requests not yet complete, failed or cancelled, oldest first.
    virtual std::vector<ErsRequest> activeErsRequests(int limit) = 0;

    // ---- instances sharing one store (PostgreSQL; a SQLite store has exactly one) ----

    /// Receives StoreSignals, on a thread of the store's, until the store is destroyed. Set once,
    /// before the store is shared between threads. A SQLite store never calls it.
    virtual void setSignalListener(StoreSignalListener listener) = 0;
    /// Whether this instance runs the workflows that act on stored state (GP2GP, e-RS): inbound
    /// processing, deadlines, reconciliation. Exactly one instance of a shared store does at a
    /// time (it holds the store's workflow lock); when it dies another takes over and is told by
    /// StoreSignal::WorkflowLeadTaken. A SQLite store always leads.
    virtual bool leadsWorkflows() = 0;
};

/// Which engine holds the state, and where (agent.properties: store.*; docs/configuration.md).
struct StoreLocation {
    std::string engine = "sqlite";    // "sqlite" or "postgresql"
    std::filesystem::path sqliteFile; // engine sqlite: <agent.stateDir>/gp-agent.db
    std::string postgresUrl;          // engine postgresql: a libpq URI, postgresql://...
    /// engine postgresql: this instance's name, unique in the fleet (its audit chain and lock).
    std::string instance;
    /// engine postgresql: false for a tool (gp-agentctl, a test's reader) that must never take
    /// the workflow lead from the agents, even for a moment when none holds it.
    bool contendsForWorkflows = true;
};

/// The start of every lease owner (Dispatcher instance id) of the instance named `instance`:
/// "<instance>/". A shared store releases at start-up only the leases that begin with its own.
std::string leaseOwnerPrefix(std::string_view instance);

/// Opens the store `location` names (see openSqliteStore, openPostgresStore). Throws
/// std::runtime_error naming the setting when it cannot.
std::unique_ptr<Store> openStore(const StoreLocation& location, const Clock& clock);

/// Connects to the PostgreSQL database at `url` (libpq URI or key=value string) as instance
/// `instance`, and runs any pending numbered migrations (the same numbering as SQLite's). Takes
/// the instance's lock: throws std::runtime_error when another live process holds that name, or
/// when the server cannot be reached or refuses.
/// `contendsForWorkflows` false: see StoreLocation (leadsWorkflows() stays false).
std::unique_ptr<Store> openPostgresStore(const std::string& url, const std::string& instance,
                                         const Clock& clock, bool contendsForWorkflows = true);

/// Opens (creating if needed) the SQLite store at `file` in WAL mode with synchronous=FULL and
/// runs any pending numbered migrations. Throws std::runtime_error when the file cannot be opened.
std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& file, const Clock& clock);

/// Opens an existing store file read-only, for `gp-agentctl audit verify`.
std::unique_ptr<Store> openSqliteStoreReadOnly(const std::filesystem::path& file,
                                               const Clock& clock);

} // namespace gp::agent
