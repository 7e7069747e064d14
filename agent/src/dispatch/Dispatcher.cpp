#include <gp/agent/dispatch/Dispatcher.hpp>
#include <gp/agent/dispatch/FhirOutcomeClassifier.hpp>
#include <gp/agent/dispatch/OutcomeClassifier.hpp>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string_view>

namespace gp::agent {

namespace {

/// How long a thread rests after the store or a transport failed unexpectedly. Short, because
/// such failures (a locked database, a full disk being cleared) pass; not zero, so a persistent
/// failure does not spin a core.
constexpr Milliseconds kFailureBackoff{1000};

/// When the store says a message is already due but a claim found nothing (another thread or
/// instance holds its lease), wait this long rather than asking again at once.
constexpr Milliseconds kMinimumIdleWait{100};

Poco::Logger& logger() {
    // Looked up once: Logger::get takes a process-wide lock, which thousands of messages a
    // second would queue on.
    static Poco::Logger& instance = Poco::Logger::get("gp-agent.dispatcher");
    return instance;
}

std::string describe(const ClaimedMessage& message) {
    const MessageRecord& record = message.record;
    return record.messageId + " (" + record.interaction + ", attempt " +
           std::to_string(record.attempts) + ")";
}

constexpr std::string_view kFhirKind = "fhir";

std::string upperCased(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return text;
}

/// What the per-endpoint cap counts against: scheme, host and port, the part of the URL a
/// connection is for. Plain string work, no URL parser, since it runs for every message.
std::string endpointOf(const std::string& url) {
    const auto scheme = url.find("://");
    if (scheme == std::string::npos) {
        return url;
    }
    return url.substr(0, url.find_first_of("/?#", scheme + 3));
}

/// The message's body moves into the request: the message is not sent again from memory.
HttpRequest buildRequest(ClaimedMessage& message) {
    HttpRequest request;
    if (!message.pollUrl.empty()) {
        // The message went out already; this asks for Spine's deferred answer to it.
        request.url = message.pollUrl;
        request.method = "GET";
        request.headers = message.headers;
        return request;
    }
    request.url = message.record.endpoint;
    request.method = message.method.empty() ? "POST" : message.method;
    if (message.record.kind != kFhirKind) {
        request.headers = {{"SOAPAction", message.soapAction},
                           {"Content-Type", message.contentType}};
    } else if (!message.contentType.empty()) {
        request.headers = {{"Content-Type", message.contentType}};
    }
    request.headers.insert(request.headers.end(), message.headers.begin(), message.headers.end());
    request.body = std::move(message.body);
    request.bodyFile = message.bodyFile;
    // Only then does a failed connect prove that a non-idempotent request (an e-RS create) was
    // not sent, which is what makes resending it safe (FhirOutcomeClassifier).
    request.freshConnection = !message.idempotent;
    return request;
}

/// Takes the body over: the response is not read again once classified.
StoredReply keptReply(HttpResponse& response) {
    StoredReply reply;
    reply.status = response.status;
    reply.contentType = response.header("Content-Type").value_or("");
    reply.location =
        response.header("Location").value_or(response.header("Content-Location").value_or(""));
    reply.etag = response.header("ETag").value_or("");
    reply.body = std::move(response.body); // the store keeps at most kMaxStoredReplyBytes
    return reply;
}

/// Spine may give the poll address relative to the URL the message was posted to.
std::optional<std::string> resolveAgainst(const std::string& base, const std::string& reference) {
    try {
        Poco::URI resolved(base);
        resolved.resolve(reference);
        if (resolved.getScheme().empty() || resolved.getHost().empty()) {
            return std::nullopt;
        }
        return resolved.toString();
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

void logIfFailed(const Status& status, const std::string& action, const std::string& messageId) {
    if (!status) {
        // Typically the lease ran out and another thread or instance took the message over;
        // the store has not changed, so the message is not lost.
        logger().warning("could not record " + action + " for " + messageId + ": " +
                         status.error().describe());
    }
}

} // namespace

Dispatcher::Dispatcher(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
                       RetryPolicy policy, TransportFactory transports, DispatcherSettings settings)
    : m_store(store), m_clock(clock), m_random(random), m_policy(policy),
      m_transports(std::move(transports)), m_settings(std::move(settings)) {}

Dispatcher::~Dispatcher() {
    stop();
}

void Dispatcher::start() {
    std::lock_guard lock(m_mutex);
    if (!m_threads.empty()) {
        return;
    }
    m_stopping = false;
    m_mayHaveWork = true; // whatever the last run left due
    m_senders = std::max(m_settings.threads, 1);
    for (int i = 0; i < m_senders; ++i) {
        m_threads.emplace_back([this] { senderMain(); });
    }
    logger().information("started " + std::to_string(m_senders) + " sender thread(s), at most " +
                         std::to_string(std::max(m_settings.connectionsPerEndpoint, 1)) +
                         " connection(s) per endpoint, as " + m_settings.instanceId);
}

void Dispatcher::stop() {
    std::vector<std::thread> threads;
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        threads.swap(m_threads);
    }
    m_wake.notify_all();
    for (auto& thread : threads) {
        thread.join();
    }
    std::lock_guard lock(m_mutex);
    m_senders = 0;
    m_idle.clear(); // closes the kept-alive connections
    m_transportCount = 0;
}

void Dispatcher::setFinishedListener(FinishedListener listener) {
    auto shared = std::make_shared<const FinishedListener>(std::move(listener));
    std::lock_guard lock(m_mutex);
    m_finished = std::move(shared);
}

void Dispatcher::announceFinished(const MessageRecord& record, MessageState state) {
    std::shared_ptr<const FinishedListener> listener;
    {
        std::lock_guard lock(m_mutex);
        listener = m_finished;
    }
    if (listener && *listener) {
        MessageRecord finished = record;
        finished.state = state;
        (*listener)(finished);
    }
}

void Dispatcher::notify() {
    {
        std::lock_guard lock(m_mutex);
        ++m_generation;
        m_mayHaveWork = true;
    }
    // One sender claims, for every free sender, and wakes those it claimed for: waking them all
    // here, for each message the API accepts, would cost more than sending it.
    m_wake.notify_one();
}

int Dispatcher::runOnce(HttpTransport& transport) {
    auto claimed = m_store.claimDue(m_settings.instanceId, m_settings.lease, m_settings.claimBatch);
    if (!claimed) {
        logger().error("cannot claim due messages: " + claimed.error().describe());
        return 0;
    }
    int sent = 0;
    for (ClaimedMessage& message : claimed.value()) {
        const auto send = [&](const HttpRequest& request) { return transport.send(request); };
        if (handle(message, send) != Handled::NotSent) {
            ++sent;
        }
    }
    return sent;
}

bool Dispatcher::claimWanted() const {
    if (m_claiming || !m_mayHaveWork) {
        return false; // one claim at a time; it takes work for every free sender
    }
    // Claim only for senders that the queue has no message for yet.
    return m_senders - m_busy > static_cast<int>(m_queued.size());
}

std::deque<Dispatcher::Queued>::iterator Dispatcher::findSendable() {
    const int cap = std::max(m_settings.connectionsPerEndpoint, 1);
    return std::find_if(m_queued.begin(), m_queued.end(), [&](const Queued& queued) {
        const auto sending = m_sendingTo.find(queued.endpoint);
        // One over the cap waits: the sender holding that endpoint's slot takes it next.
        return sending == m_sendingTo.end() || sending->second < cap;
    });
}

std::optional<Dispatcher::Queued> Dispatcher::takeSendable() {
    const auto found = findSendable();
    if (found == m_queued.end()) {
        return std::nullopt;
    }
    Queued taken = std::move(*found);
    m_queued.erase(found);
    ++m_sendingTo[taken.endpoint];
    ++m_busy;
    return taken;
}

void Dispatcher::senderMain() {
    std::unique_lock lock(m_mutex);
    for (;;) {
        if (std::optional<Queued> queued = takeSendable()) {
            lock.unlock();
            try {
                sendQueued(std::move(*queued));
            } catch (const std::exception& e) {
                // The message stays leased until its lease runs out, then becomes claimable
                // again: nothing is lost.
                logger().error(std::string("dispatch failed: ") + e.what());
            }
            lock.lock();
            --m_busy;
            continue;
        }
        // Stopping: whatever is still queued waits for an endpoint's slot, and the sender
        // holding that slot takes it next; a claim under way hands its messages out first.
        if (m_stopping) {
            if (!m_claiming) {
                return;
            }
            m_wake.wait(lock, [&] { return !m_claiming; });
            continue;
        }
        const auto now = std::chrono::steady_clock::now();
        if (m_wakeAt && now >= *m_wakeAt) {
            m_wakeAt.reset(); // the store's next due time has come
            m_mayHaveWork = true;
        }
        if (claimWanted()) {
            claim(lock);
            continue;
        }
        waitForWork(lock);
    }
}

void Dispatcher::waitForWork(std::unique_lock<std::mutex>& lock) {
    const auto workFound = [&] {
        return m_stopping || claimWanted() || findSendable() != m_queued.end();
    };
    if (m_wakeAt && !m_timekeeper) {
        // One sender keeps the store's next due time for all, so that it wakes one thread, not
        // every idle one. A sooner due time (claim()) wakes it to wait for that instead.
        m_timekeeper = true;
        const auto deadline = *m_wakeAt;
        m_timekeeperDeadline = deadline;
        m_wake.wait_until(lock, deadline,
                          [&] { return workFound() || !m_wakeAt || *m_wakeAt < deadline; });
        m_timekeeper = false;
        if (m_wakeAt && std::chrono::steady_clock::now() < *m_wakeAt) {
            m_wake.notify_one(); // off to work, perhaps: another sender takes the time over
        }
        return;
    }
    // Nothing scheduled, or someone keeps the time: sleep until new work, stop, or the time
    // needs keeping.
    m_wake.wait(lock, [&] { return workFound() || (m_wakeAt && !m_timekeeper); });
}

void Dispatcher::claim(std::unique_lock<std::mutex>& lock) {
    m_claiming = true;
    const std::uint64_t seenGeneration = m_generation;
    const int free = m_senders - m_busy - static_cast<int>(m_queued.size());
    const int wanted = std::clamp(free, 1, std::max(m_settings.claimBatch, 1));
    // Reset before asking, so that what arrives while we ask (notify) sets it again.
    m_mayHaveWork = false;
    m_wakeAt.reset();
    lock.unlock();

    std::optional<std::vector<ClaimedMessage>> claimed;
    std::optional<TimePoint> due;
    bool storeFailed = false;
    try {
        auto result = m_store.claimDue(m_settings.instanceId, m_settings.lease, wanted);
        if (result) {
            claimed = std::move(result).value();
            if (static_cast<int>(claimed->size()) < wanted) {
                due = m_store.nextDueTime(); // drained: sleep until the next due time
            }
        } else {
            storeFailed = true;
            logger().error("cannot claim due messages: " + result.error().describe());
        }
    } catch (const std::exception& e) {
        // Claimed messages, if any, stay leased until their lease runs out: nothing is lost.
        storeFailed = true;
        logger().error(std::string("cannot claim due messages: ") + e.what());
    }
    std::vector<Queued> queued;
    if (claimed) {
        queued.reserve(claimed->size());
        for (ClaimedMessage& message : *claimed) {
            std::string endpoint =
                endpointOf(message.pollUrl.empty() ? message.record.endpoint : message.pollUrl);
            queued.push_back({std::move(message), std::move(endpoint)});
        }
    }
    const auto now = std::chrono::steady_clock::now();

    lock.lock();
    m_claiming = false;
    for (Queued& message : queued) {
        m_queued.push_back(std::move(message));
    }
    if (storeFailed) {
        // The store failed (a locked database, a full disk being cleared): such failures pass,
        // so try again soon, but not at once, so that a lasting failure does not spin a core.
        m_wakeAt = now + kFailureBackoff;
    } else if (static_cast<int>(queued.size()) >= wanted) {
        m_mayHaveWork = true; // there may be more right behind these
    } else if (due) {
        // The store's times are on the agent's clock (the system clock in production); waiting
        // on the steady clock for the remaining duration keeps a clock step from stretching it.
        // Something already due that the claim did not get (another owner's live lease) is
        // asked about again after a short rest, not at once.
        const auto untilDue = std::chrono::duration_cast<Milliseconds>(*due - m_clock.now());
        m_wakeAt = now + (untilDue > Milliseconds::zero() ? untilDue : kMinimumIdleWait);
    }
    if (m_generation != seenGeneration) {
        m_mayHaveWork = true; // notified while claiming: that work may have missed this claim
    }
    if (m_stopping || (m_wakeAt && m_timekeeper && *m_wakeAt < m_timekeeperDeadline)) {
        m_wake.notify_all(); // senders waiting for the claim to end, or a timekeeper now late
        return;
    }
    // Wake only the senders there is something for: one per claimed message but the one this
    // sender takes itself, one to claim again, one to keep the time while this one sends.
    int wake = static_cast<int>(queued.size()) - 1;
    if (claimWanted()) {
        ++wake;
    }
    if (m_wakeAt && !m_timekeeper && !queued.empty()) {
        ++wake;
    }
    for (int i = 0; i < wake; ++i) {
        m_wake.notify_one();
    }
}

void Dispatcher::setPracticeTransports(const std::vector<std::string>& odsCodes,
                                       PracticeTransportFactory factory) {
    std::lock_guard lock(m_mutex);
    m_practicesWithOwnTransport.clear();
    for (const auto& odsCode : odsCodes) {
        m_practicesWithOwnTransport.insert(upperCased(odsCode));
    }
    m_practiceTransports = std::move(factory);
}

std::string Dispatcher::senderIdentityOf(const MessageRecord& record) const {
    if (m_practicesWithOwnTransport.empty() || record.practice.empty()) {
        return {}; // the common case costs no string work
    }
    std::string odsCode = upperCased(record.practice);
    return m_practicesWithOwnTransport.count(odsCode) > 0 ? odsCode : std::string();
}

std::unique_ptr<HttpTransport> Dispatcher::borrowTransport(const std::string& identity,
                                                           const std::string& endpoint) {
    const auto holdsOne = [](const auto& entry) { return !entry.second.empty(); };
    std::unique_ptr<HttpTransport> givingWay; // closed after the lock is released
    {
        std::lock_guard lock(m_mutex);
        IdleByEndpoint& mine = m_idle[identity];
        // Best one that last talked to this endpoint: its connection is open and warm.
        auto idle = mine.find(endpoint);
        if (idle == mine.end() || idle->second.empty()) {
            idle = std::find_if(mine.begin(), mine.end(), holdsOne);
        }
        if (idle != mine.end()) {
            std::unique_ptr<HttpTransport> transport = std::move(idle->second.back());
            idle->second.pop_back();
            return transport;
        }
        // None of this identity is idle. With as many transports as senders, some are idle
        // under other identities: one of those closes, so that practices with certificates of
        // their own do not multiply the connections held open.
        if (m_transportCount >= std::max(m_senders, 1)) {
            for (auto& [other, byEndpoint] : m_idle) {
                auto spare = std::find_if(byEndpoint.begin(), byEndpoint.end(), holdsOne);
                if (other != identity && spare != byEndpoint.end()) {
                    givingWay = std::move(spare->second.back());
                    spare->second.pop_back();
                    --m_transportCount;
                    break;
                }
            }
        }
        ++m_transportCount; // the one made below
    }
    givingWay.reset();
    // Fewer transports than senders exist, and this one is needed: made once, then kept.
    std::unique_ptr<HttpTransport> made;
    try {
        made = identity.empty() ? m_transports() : m_practiceTransports(identity);
    } catch (...) {
        std::lock_guard lock(m_mutex);
        --m_transportCount;
        throw;
    }
    if (!made) {
        std::lock_guard lock(m_mutex);
        --m_transportCount;
        throw std::runtime_error("the transport factory made no transport" +
                                 (identity.empty() ? std::string() : " for " + identity));
    }
    return made;
}

void Dispatcher::returnTransport(const std::string& identity, const std::string& endpoint,
                                 std::unique_ptr<HttpTransport> transport) {
    std::lock_guard lock(m_mutex);
    m_idle[identity][endpoint].push_back(std::move(transport));
}

void Dispatcher::sendQueued(Queued queued) {
    // The endpoint's slot is held from the take until the reply; the transport only for the
    // exchange itself, so that another sender uses the connection while this one records.
    bool slotHeld = true;
    const auto releaseSlot = [&] {
        if (!slotHeld) {
            return;
        }
        slotHeld = false;
        std::lock_guard lock(m_mutex);
        const auto sending = m_sendingTo.find(queued.endpoint);
        if (--sending->second == 0) {
            m_sendingTo.erase(sending);
        }
        if (std::any_of(m_queued.begin(), m_queued.end(),
                        [&](const Queued& q) { return q.endpoint == queued.endpoint; })) {
            m_wake.notify_one(); // a message waiting for this endpoint may go now
        }
    };
    const std::string identity = senderIdentityOf(queued.message.record);
    const auto send = [&](const HttpRequest& request) {
        std::unique_ptr<HttpTransport> transport = borrowTransport(identity, queued.endpoint);
        TransportResult result = transport->send(request);
        returnTransport(identity, queued.endpoint, std::move(transport));
        releaseSlot();
        return result;
    };
    Handled handled = Handled::NotSent;
    try {
        handled = handle(queued.message, send);
    } catch (...) {
        releaseSlot();
        throw;
    }
    releaseSlot();
    if (handled == Handled::Rescheduled) {
        // Its next attempt is in the store now, perhaps before the time the senders sleep to.
        std::lock_guard lock(m_mutex);
        m_mayHaveWork = true;
    }
}

template <typename Send>
Dispatcher::Handled Dispatcher::handle(ClaimedMessage& message, Send&& send) {
    const MessageRecord& record = message.record;
    const std::string& owner = m_settings.instanceId;

    if (record.expiresAt <= m_clock.now()) {
        // Past its persist duration the receiver may no longer recognise the MessageId as a
        // duplicate, so sending it again could have it processed twice.
        logger().warning("expired before sending: " + describe(message));
        // A poll's claim does not count as an attempt; a send's claim already counted this one.
        const int made = message.pollUrl.empty() ? record.attempts - 1 : record.attempts;
        const Status expired = m_store.recordExpired(record.messageId, owner,
                                                     "persist duration elapsed after " +
                                                         std::to_string(made) + " attempt(s)");
        logIfFailed(expired, "expiry", record.messageId);
        if (expired) {
            announceFinished(record, MessageState::Expired);
        }
        return Handled::NotSent;
    }

    const HttpRequest request = buildRequest(message);
    TransportResult result = send(request);
    const Outcome outcome = message.record.kind == kFhirKind
                                ? classifyFhir(result, message.idempotent)
                                : classify(result);
    std::optional<StoredReply> reply;
    if (result.response) {
        reply = keptReply(*result.response);
    }

    switch (outcome.kind) {
    case Outcome::Kind::Acknowledged: {
        // Debug, not information: at thousands a second the line itself would cost more than
        // the rest of the message's handling. The audit trail has every ack.
        if (logger().debug()) {
            logger().debug("acknowledged: " + describe(message) + ": " + outcome.detail);
        }
        const Status acked =
            reply ? m_store.recordAckedWithReply(record.messageId, owner, outcome.detail, *reply)
                  : m_store.recordAcked(record.messageId, owner, outcome.detail);
        if (acked) {
            announceFinished(record, MessageState::Acked);
        } else {
            logIfFailed(acked, "ack", record.messageId);
        }
        return Handled::Ended;
    }

    case Outcome::Kind::Retriable:
        return recordRetriable(message, outcome, reply);

    case Outcome::Kind::Deferred:
        return recordDeferred(message, outcome, request);

    case Outcome::Kind::Permanent: {
        logger().warning("failed: " + describe(message) + ": " + outcome.detail + " (" +
                         outcome.error.code + ")");
        const Status failed =
            reply ? m_store.recordFailedWithReply(record.messageId, owner, outcome.error, *reply)
                  : m_store.recordFailed(record.messageId, owner, outcome.error);
        if (failed) {
            announceFinished(record, MessageState::Failed);
        } else {
            logIfFailed(failed, "failure", record.messageId);
        }
        return Handled::Ended;
    }
    }
    return Handled::Ended;
}

Dispatcher::Handled Dispatcher::recordRetriable(const ClaimedMessage& message,
                                                const Outcome& outcome,
                                                const std::optional<StoredReply>& reply) {
    const MessageRecord& record = message.record;
    const std::string& owner = m_settings.instanceId;
    // A poll sends nothing and does not count as an attempt; the expiry bounds polling.
    const bool polling = !message.pollUrl.empty();
    if (!polling && record.maxAttempts > 0 && record.attempts >= record.maxAttempts) {
        const MessageError exhausted{"retries-exhausted",
                                     "gave up after " + std::to_string(record.attempts) +
                                         " attempt(s); last error " + outcome.error.code + ": " +
                                         outcome.error.text};
        logger().warning("retries exhausted: " + describe(message) + ": " + outcome.detail);
        const Status failed =
            reply ? m_store.recordFailedWithReply(record.messageId, owner, exhausted, *reply)
                  : m_store.recordFailed(record.messageId, owner, exhausted);
        logIfFailed(failed, "failure", record.messageId);
        if (failed) {
            announceFinished(record, MessageState::Failed);
        }
        return Handled::Ended;
    }
    Milliseconds delay{};
    {
        std::lock_guard lock(m_randomMutex);
        delay = m_policy.delayBeforeNextAttempt(record.attempts, m_random, outcome.retryAfter,
                                                message.retryInterval);
    }
    // A next attempt after the expiry is recorded as asked: the store then ends the message as
    // expired at once, which tells staff sooner than waiting for the time.
    const TimePoint next = m_clock.now() + delay;
    logger().information("will retry: " + describe(message) + ": " + outcome.detail + " (" +
                         outcome.error.code + "), next in " + std::to_string(delay.count()) +
                         " ms");
    logIfFailed(
        m_store.recordRetry(record.messageId, owner, next, outcome.error, outcome.transportError),
        "retry", record.messageId);
    return Handled::Rescheduled;
}

Dispatcher::Handled Dispatcher::recordDeferred(const ClaimedMessage& message,
                                               const Outcome& outcome, const HttpRequest& request) {
    const MessageRecord& record = message.record;
    const std::string& owner = m_settings.instanceId;
    const std::optional<std::string> pollUrl = resolveAgainst(request.url, outcome.location);
    if (!pollUrl) {
        // Spine has the message but we cannot ask for its answer. Sending again would only get
        // the same 202 back (duplicate elimination), so stop here and let staff look.
        const MessageError error{"unreadable-poll-location",
                                 "202 with a Content-Location that is not a URL"};
        logger().warning("failed: " + describe(message) + ": " + outcome.detail + " (" +
                         error.code + ")");
        const Status failed = m_store.recordFailed(record.messageId, owner, error);
        logIfFailed(failed, "failure", record.messageId);
        if (failed) {
            announceFinished(record, MessageState::Failed);
        }
        return Handled::Ended;
    }
    // The first 202 answers the message itself; a 202 to a poll means "not yet" again.
    const Milliseconds wait =
        message.pollUrl.empty() ? m_settings.firstPollDelay : m_settings.pollInterval;
    const TimePoint next = m_clock.now() + wait;
    if (logger().debug()) {
        logger().debug("reply deferred: " + describe(message) + ", polling in " +
                       std::to_string(wait.count()) + " ms");
    }
    const Status deferred = m_store.recordDeferred(record.messageId, owner, next, *pollUrl);
    logIfFailed(deferred, "deferral", record.messageId);
    if (deferred) {
        // The store expires a message whose next poll would come after its expiry.
        if (const auto now = m_store.findMessage(record.messageId);
            now && now->state == MessageState::Expired) {
            announceFinished(record, MessageState::Expired);
            return Handled::Ended;
        }
    }
    return Handled::Rescheduled;
}

} // namespace gp::agent
