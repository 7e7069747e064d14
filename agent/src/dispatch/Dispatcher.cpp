#include <gp/agent/dispatch/Dispatcher.hpp>
#include <gp/agent/dispatch/FhirOutcomeClassifier.hpp>
#include <gp/agent/dispatch/OutcomeClassifier.hpp>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/URI.h>

#include <algorithm>
#include <exception>
#include <optional>
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
    return Poco::Logger::get("gp-agent.dispatcher");
}

std::string describe(const ClaimedMessage& message) {
    const MessageRecord& record = message.record;
    return record.messageId + " (" + record.interaction + ", attempt " +
           std::to_string(record.attempts) + ")";
}

constexpr std::string_view kFhirKind = "fhir";

HttpRequest buildRequest(const ClaimedMessage& message) {
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
    request.body = message.body;
    request.bodyFile = message.bodyFile;
    // Only then does a failed connect prove that a non-idempotent request (an e-RS create) was
    // not sent, which is what makes resending it safe (FhirOutcomeClassifier).
    request.freshConnection = !message.idempotent;
    return request;
}

StoredReply keptReply(const HttpResponse& response) {
    StoredReply reply;
    reply.status = response.status;
    reply.contentType = response.header("Content-Type").value_or("");
    reply.location =
        response.header("Location").value_or(response.header("Content-Location").value_or(""));
    reply.etag = response.header("ETag").value_or("");
    reply.body = response.body; // the store keeps at most kMaxStoredReplyBytes
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
    const int count = std::max(m_settings.threads, 1);
    for (int i = 0; i < count; ++i) {
        m_threads.emplace_back([this] { threadMain(); });
    }
    logger().information("started " + std::to_string(count) + " dispatcher thread(s) as " +
                         m_settings.instanceId);
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
}

void Dispatcher::setFinishedListener(FinishedListener listener) {
    std::lock_guard lock(m_mutex);
    m_finished = std::move(listener);
}

void Dispatcher::announceFinished(const MessageRecord& record) {
    FinishedListener listener;
    {
        std::lock_guard lock(m_mutex);
        listener = m_finished;
    }
    if (listener) {
        // The record as claimed; the listener reads the store for the final state.
        listener(record);
    }
}

void Dispatcher::notify() {
    {
        std::lock_guard lock(m_mutex);
        ++m_generation;
    }
    m_wake.notify_all();
}

int Dispatcher::runOnce(HttpTransport& transport) {
    const auto pass = claimAndSend(transport);
    return pass ? pass->sent : 0;
}

void Dispatcher::threadMain() {
    std::unique_ptr<HttpTransport> transport;
    try {
        transport = m_transports();
    } catch (const std::exception& e) {
        logger().error(std::string("cannot create a transport, thread not started: ") + e.what());
        return;
    }

    for (;;) {
        std::uint64_t seenGeneration = 0;
        {
            std::lock_guard lock(m_mutex);
            if (m_stopping) {
                return;
            }
            // Read before claiming, so a notify() that lands while we claim is not missed.
            seenGeneration = m_generation;
        }

        std::optional<Pass> pass;
        try {
            pass = claimAndSend(*transport);
        } catch (const std::exception& e) {
            // A message claimed when this happened stays leased until its lease runs out, then
            // becomes claimable again: nothing is lost.
            logger().error(std::string("dispatch pass failed: ") + e.what());
        }

        std::unique_lock lock(m_mutex);
        const auto woken = [&] { return m_stopping || m_generation != seenGeneration; };
        if (!pass) {
            m_wake.wait_for(lock, kFailureBackoff, [&] { return m_stopping; });
            continue;
        }
        if (pass->claimed > 0) {
            continue; // more may be due right away
        }
        lock.unlock();
        const std::optional<TimePoint> due = m_store.nextDueTime();
        lock.lock();
        if (!due) {
            m_wake.wait(lock, woken); // nothing scheduled: sleep until new work or stop
            continue;
        }
        // The store's times are on the agent's clock (the system clock in production); waiting
        // on the steady clock for the remaining duration keeps a clock step from stretching it.
        // Something already due that the claim did not get (another owner's live lease) is
        // asked about again after a short rest, not at once.
        const auto untilDue = std::chrono::duration_cast<Milliseconds>(*due - m_clock.now());
        const auto remaining = untilDue > Milliseconds::zero() ? untilDue : kMinimumIdleWait;
        m_wake.wait_until(lock, std::chrono::steady_clock::now() + remaining, woken);
    }
}

std::optional<Dispatcher::Pass> Dispatcher::claimAndSend(HttpTransport& transport) {
    auto claimed = m_store.claimDue(m_settings.instanceId, m_settings.lease, m_settings.claimBatch);
    if (!claimed) {
        logger().error("cannot claim due messages: " + claimed.error().describe());
        return std::nullopt;
    }
    Pass pass;
    pass.claimed = static_cast<int>(claimed->size());
    for (const ClaimedMessage& message : claimed.value()) {
        if (handle(transport, message)) {
            ++pass.sent;
        }
    }
    return pass;
}

bool Dispatcher::handle(HttpTransport& transport, const ClaimedMessage& message) {
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
            announceFinished(record);
        }
        return false;
    }

    const HttpRequest request = buildRequest(message);
    const TransportResult result = transport.send(request);
    const Outcome outcome = message.record.kind == kFhirKind
                                ? classifyFhir(result, message.idempotent)
                                : classify(result);
    std::optional<StoredReply> reply;
    if (result.response) {
        reply = keptReply(*result.response);
    }

    switch (outcome.kind) {
    case Outcome::Kind::Acknowledged: {
        logger().information("acknowledged: " + describe(message) + ": " + outcome.detail);
        const Status acked =
            reply ? m_store.recordAckedWithReply(record.messageId, owner, outcome.detail, *reply)
                  : m_store.recordAcked(record.messageId, owner, outcome.detail);
        if (acked) {
            announceFinished(record);
        } else {
            logIfFailed(acked, "ack", record.messageId);
        }
        break;
    }

    case Outcome::Kind::Retriable:
        recordRetriable(message, outcome, reply);
        break;

    case Outcome::Kind::Deferred:
        recordDeferred(message, outcome, request);
        break;

    case Outcome::Kind::Permanent: {
        logger().warning("failed: " + describe(message) + ": " + outcome.detail + " (" +
                         outcome.error.code + ")");
        const Status failed =
            reply ? m_store.recordFailedWithReply(record.messageId, owner, outcome.error, *reply)
                  : m_store.recordFailed(record.messageId, owner, outcome.error);
        if (failed) {
            announceFinished(record);
        } else {
            logIfFailed(failed, "failure", record.messageId);
        }
        break;
    }
    }
    return true;
}

void Dispatcher::recordRetriable(const ClaimedMessage& message, const Outcome& outcome,
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
            announceFinished(record);
        }
        return;
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
}

void Dispatcher::recordDeferred(const ClaimedMessage& message, const Outcome& outcome,
                                const HttpRequest& request) {
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
            announceFinished(record);
        }
        return;
    }
    // The first 202 answers the message itself; a 202 to a poll means "not yet" again.
    const Milliseconds wait =
        message.pollUrl.empty() ? m_settings.firstPollDelay : m_settings.pollInterval;
    const TimePoint next = m_clock.now() + wait;
    logger().information("reply deferred: " + describe(message) + ", polling in " +
                         std::to_string(wait.count()) + " ms");
    const Status deferred = m_store.recordDeferred(record.messageId, owner, next, *pollUrl);
    logIfFailed(deferred, "deferral", record.messageId);
    if (deferred) {
        // The store expires a message whose next poll would come after its expiry.
        if (const auto now = m_store.findMessage(record.messageId);
            now && now->state == MessageState::Expired) {
            announceFinished(record);
        }
    }
}

} // namespace gp::agent
