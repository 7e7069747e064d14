#include "ForwardClient.hpp"

#include <gp/messaging/spine/SpineReply.hpp>
#include <gp/mock/Forwarder.hpp>

#include <set>
#include <utility>

namespace gp::mock {

namespace {

namespace spine = messaging::spine;

using Millis = std::chrono::milliseconds;

std::int64_t epochMillis(TimePoint time) {
    return std::chrono::duration_cast<Millis>(time.time_since_epoch()).count();
}

TimePoint fromEpochMillis(std::int64_t millis) {
    return TimePoint(std::chrono::duration_cast<TimePoint::duration>(Millis(millis)));
}

/// How one answer from a practice ends an attempt. This is the forwarder's only reading of a
/// practice's reply: PROTOCOL.md §1's rules, as Spine applies them to the next hop.
struct Verdict {
    enum class Kind { Delivered, Retry, Failed };
    Kind kind = Kind::Retry;
    std::string code; // for the journal: 202, 503, ValueNotRecognized, connect, ...
};

Verdict judge(const DeliveryResult& result) {
    if (!result.answered) {
        return {Verdict::Kind::Retry, result.failure};
    }
    const std::string status = std::to_string(result.status);
    std::optional<spine::SpineReply> reply;
    if (!result.body.empty()) {
        if (auto parsed = spine::parseSpineReply(result.contentType, result.body)) {
            reply = std::move(*parsed);
        }
    }
    if (reply && reply->kind == spine::ReplyKind::MessageError) {
        return {Verdict::Kind::Failed, reply->errors.empty() ? status : reply->errors[0].code};
    }
    if (result.status >= 200 && result.status < 300) {
        return {Verdict::Kind::Delivered, status};
    }
    if (reply && reply->kind == spine::ReplyKind::SoapFault) {
        std::string codes;
        for (const auto& error : reply->errors) {
            codes += (codes.empty() ? "" : ",") + error.code;
        }
        return {reply->retriableFault() ? Verdict::Kind::Retry : Verdict::Kind::Failed,
                codes.empty() ? status : codes};
    }
    if (result.status >= 500 || result.status == 408 || result.status == 429) {
        return {Verdict::Kind::Retry, status};
    }
    return {Verdict::Kind::Failed, status};
}

/// An injected HTTP status stands for an answer that never reached the practice's handler.
Verdict judgeInjected(int status) {
    const bool permanent = status >= 400 && status < 500 && status != 408 && status != 429;
    return {permanent ? Verdict::Kind::Failed : Verdict::Kind::Retry, std::to_string(status)};
}

} // namespace

Forwarder::Forwarder(const MockConfig& config, MockStore& store, FaultPlan& faults,
                     const Clock& clock)
    : m_config(config), m_store(store), m_faults(faults), m_clock(clock),
      m_log(Poco::Logger::get("spine-mock.forwarder")),
      m_client(
          std::make_unique<ForwardClient>(config.forwardTimeout.value, m_stopping, config.tls)) {}

Forwarder::~Forwarder() {
    stop();
}

void Forwarder::start() {
    std::lock_guard lock(m_mutex);
    if (m_thread.joinable()) {
        return;
    }
    m_stopping = false;
    m_thread = std::thread([this] { run(); });
}

void Forwarder::stop() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_condition.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void Forwarder::wake() {
    {
        std::lock_guard lock(m_mutex);
        m_woken = true;
    }
    m_condition.notify_all();
}

std::optional<TimePoint> Forwarder::nextDue() const {
    std::lock_guard lock(m_mutex);
    return m_nextDue;
}

bool Forwarder::waitForOutcomes(std::uint64_t count, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(m_mutex);
    return m_recorded.wait_for(lock, timeout, [&] { return m_outcomes >= count; });
}

void Forwarder::run() {
    while (true) {
        runDue();
        std::unique_lock lock(m_mutex);
        const auto interrupted = [this] { return m_stopping.load() || m_woken; };
        if (!interrupted()) {
            if (!m_nextDue) {
                // Nothing pending: sleep until a message is accepted.
                m_condition.wait(lock, interrupted);
            } else if (const auto wait = *m_nextDue - m_clock.now(); wait > wait.zero()) {
                m_condition.wait_for(lock, wait, interrupted);
            }
        }
        if (m_stopping) {
            return;
        }
        m_woken = false;
    }
}

std::chrono::milliseconds Forwarder::backoff(int attempts) const {
    Millis delay = m_config.forwardRetryDelay.value;
    for (int i = 1; i < attempts && delay < m_config.forwardMaxDelay.value; ++i) {
        delay *= 2;
    }
    return std::min(delay, m_config.forwardMaxDelay.value);
}

int Forwarder::runDue() {
    auto pending = m_store.forwards(true);
    if (!pending) {
        m_log.error("cannot read the forward queue: %s", pending.error().describe());
        std::lock_guard lock(m_mutex);
        // Try again a little later rather than spin on a failing database.
        m_nextDue = m_clock.now() + m_config.forwardRetryDelay.value;
        return 0;
    }
    int attempts = 0;
    std::optional<std::int64_t> nextDue;
    const auto dueAt = [&](std::int64_t when) {
        nextDue = nextDue ? std::min(*nextDue, when) : when;
    };
    // A message waits while one accepted before it, in the same conversation and to the same
    // practice, is still being delivered: GP2GP receivers cope with disorder, but need not.
    std::set<std::pair<std::string, std::string>> busy;
    for (const auto& record : *pending) {
        if (m_stopping) {
            break;
        }
        const auto now = epochMillis(m_clock.now());
        if (now >= record.expiresAt) {
            expire(record);
            continue;
        }
        const auto key = std::make_pair(record.conversationId, record.recipient);
        if (m_config.forwardInOrder && busy.count(key) != 0) {
            dueAt(record.expiresAt);
            continue;
        }
        busy.insert(key);
        if (record.nextAttemptAt > now) {
            dueAt(std::min(record.nextAttemptAt, record.expiresAt));
            continue;
        }
        const ForwardProgress progress = attempt(record);
        ++attempts;
        if (progress.state == "pending") {
            dueAt(std::min(progress.nextAttemptAt, record.expiresAt));
        } else {
            busy.erase(key);
        }
    }
    std::lock_guard lock(m_mutex);
    m_nextDue.reset();
    if (nextDue) {
        m_nextDue = fromEpochMillis(*nextDue);
    }
    return attempts;
}

void Forwarder::save(const ForwardRecord& record, const ForwardProgress& progress,
                     const std::vector<JournalEntry>& entries) {
    if (auto saved = m_store.recordProgress(record.messageId, progress, entries); !saved) {
        m_log.error("cannot record delivery of MessageId %s: %s", record.messageId,
                    saved.error().describe());
    }
    {
        std::lock_guard lock(m_mutex);
        ++m_outcomes;
    }
    m_recorded.notify_all();
    for (const auto& entry : entries) {
        m_log.information("MessageId=%s interaction=%s to=%s outcome=%s reply=%s", entry.messageId,
                          entry.interaction, entry.recipient, entry.outcome, entry.replyCode);
    }
}

void Forwarder::expire(const ForwardRecord& record) {
    ForwardProgress progress{"expired", record.attempts, record.deliveries, record.nextAttemptAt,
                             record.lastResult};
    const JournalEntry entry{0,
                             record.messageId,
                             record.interaction,
                             "forward-expired",
                             record.lastResult.empty() ? "expired" : record.lastResult,
                             formatIsoMillis(m_clock.now()),
                             "forward",
                             record.recipient};
    save(record, progress, {entry});
}

ForwardProgress Forwarder::attempt(const ForwardRecord& record) {
    const TimePoint now = m_clock.now();
    const std::string at = formatIsoMillis(now);
    std::vector<JournalEntry> entries;
    const auto journal = [&](const std::string& outcome, const std::string& code) {
        entries.push_back(JournalEntry{0, record.messageId, record.interaction, outcome, code, at,
                                       "forward", record.recipient});
    };
    // An ended message keeps the time of its last attempt in nextAttemptAt.
    ForwardProgress progress{"pending", record.attempts + 1, record.deliveries, epochMillis(now),
                             ""};

    Verdict verdict;
    auto practice = m_store.practiceByOds(record.recipient);
    auto body = m_store.forwardBody(record.messageId);
    if (!practice || !body) {
        const Error& why = !practice ? practice.error() : body.error();
        m_log.error("MessageId %s not delivered: %s", record.messageId, why.describe());
        verdict = {Verdict::Kind::Retry, "store"};
        journal("forward-retry", verdict.code);
    } else if (!*practice) {
        verdict = {Verdict::Kind::Failed, "unregistered"};
        journal("forward-failed", verdict.code);
    } else {
        const std::string& url = (*practice)->inboundUrl;
        const auto deliver = [&] {
            DeliveryResult result =
                m_client->post(url, record.contentType, record.soapAction, *body);
            if (result.answered) {
                ++progress.deliveries;
            }
            return result;
        };
        const auto fault = m_faults.take(record.interaction, Leg::Forward);
        if (fault && fault->type == Fault::Type::Http) {
            journal("forward-fault", "http");
            verdict = judgeInjected(fault->status);
        } else if (fault && fault->type == Fault::Type::LostReply) {
            // Delivered, but the answer is treated as lost: the practice will see the same
            // MessageId again and must eliminate the duplicate.
            deliver();
            journal("forward-fault", "lostReply");
            verdict = {Verdict::Kind::Retry, "lostReply"};
        } else if (fault && fault->type == Fault::Type::Duplicate) {
            deliver();
            journal("forward-fault", "duplicate");
            verdict = judge(deliver());
        } else if (fault) {
            // Reset, the only other type a forward rule can hold: nothing reaches the practice.
            journal("forward-fault", std::string(toString(fault->type)));
            verdict = {Verdict::Kind::Retry, "reset"};
        } else {
            verdict = judge(deliver());
        }
        const bool faulted = fault.has_value() && fault->type != Fault::Type::Duplicate;
        switch (verdict.kind) {
        case Verdict::Kind::Delivered:
            journal("forwarded", verdict.code);
            break;
        case Verdict::Kind::Failed:
            journal("forward-failed", verdict.code);
            break;
        case Verdict::Kind::Retry:
            if (!faulted) {
                journal("forward-retry", verdict.code);
            }
            break;
        }
    }

    progress.lastResult = verdict.code;
    if (verdict.kind == Verdict::Kind::Delivered) {
        progress.state = "forwarded";
    } else if (verdict.kind == Verdict::Kind::Failed) {
        progress.state = "failed";
    } else {
        progress.nextAttemptAt =
            std::min(epochMillis(now) + backoff(progress.attempts).count(), record.expiresAt);
    }
    save(record, progress, entries);
    return progress;
}

} // namespace gp::mock
