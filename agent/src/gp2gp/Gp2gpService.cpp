#include "../inbound/MappedFile.hpp"
#include "RequesterWorkflow.hpp"
#include "SenderWorkflow.hpp"
#include "TransferContext.hpp"
#include "TransferStates.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/messaging/ebxml/Message.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <Poco/Logger.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

namespace gp::agent {

namespace {

namespace wire = messaging::gp2gp;
using gp2gp::Outcome;

constexpr int kInboundBatch = 32;
constexpr int kListLimit = 10000;
/// After an unexpected failure (an exception out of a pass) the worker rests this long.
constexpr Milliseconds kFailureBackoff{5000};

// States in which a transfer may move because one of its outbound messages finished.
const char* const kActiveStates[] = {gp2gp::kRequested,       gp2gp::kContinueSent,
                                     gp2gp::kExtractReceived, gp2gp::kComplete,
                                     gp2gp::kExtractSent,     gp2gp::kDocumentsSent};

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.gp2gp");
}

bool isExtractAction(const std::string& action) {
    return action == wire::kEhrExtract || action == wire::kEhrExtractWithRedactions;
}

} // namespace

struct Gp2gpService::Impl {
    Impl(Dependencies dependencies, PracticeDirectory practiceDirectory,
         AgentSettings::Gp2gp settings, std::filesystem::path outboxDir)
        : deps(std::move(dependencies)), practices(std::move(practiceDirectory)),
          context(deps, practices, std::move(settings), std::move(outboxDir)), requester(context),
          sender(context) {}

    Dependencies deps;
    const PracticeDirectory practices;
    gp2gp::TransferContext context;
    gp2gp::RequesterWorkflow requester;
    gp2gp::SenderWorkflow sender;

    std::mutex workMutex; // one decision at a time: the worker, the API and tools share the store

    std::mutex wakeMutex;
    std::condition_variable wake;
    std::uint64_t generation = 0;
    bool stopping = false;
    std::thread worker;

    std::set<std::string> unknownPractices; // local ODS codes already warned about

    int runOnce();
    Outcome processInbound(const InboundRecord& record);
    /// Acts as the practice a stored transfer belongs to; false (logged once per ODS code) when
    /// the agent no longer acts for it, and the transfer is left as it is.
    bool actForTransfer(const Conversation& conversation);
    void workerMain();
    void notify() {
        {
            std::lock_guard lock(wakeMutex);
            ++generation;
        }
        wake.notify_all();
    }
};

Outcome Gp2gpService::Impl::processInbound(const InboundRecord& record) {
    using Kind = wire::InboundGp2gp::Kind;
    const InboundMessage& inbound = record.message;
    // Parsed in place from the page cache: a 5 MB fragment is not copied into memory first.
    bool readable = true;
    auto parsed = [&]() -> Result<messaging::ebxml::Message> {
        MappedFile body;
        if (auto opened = body.open(inbound.bodyFile); !opened) {
            readable = false;
            return opened.error();
        }
        return messaging::ebxml::parseMessage(inbound.contentType, body.bytes());
    }();
    if (!readable) {
        return context.giveUp(record, "its body file cannot be read");
    }
    if (!parsed) {
        return context.giveUp(record, "not an ebXML message: " + parsed.error().describe());
    }
    const auto& header = parsed->header;
    if (header.service != wire::kService) {
        return context.giveUp(record, "not a GP2GP message (service " + header.service + ")");
    }
    const std::string conversationId =
        header.conversationId.empty() ? inbound.conversationId : header.conversationId;
    const auto conversation = context.store().findConversation(conversationId);

    // Whose message this is: a known transfer's own practice; otherwise the practice whose
    // party key it is addressed to (the inbound endpoint admits no other).
    const Practice* addressee = practices.byPartyKey(header.toPartyId);
    if (conversation) {
        const Practice* owner = practices.byOdsCode(conversation->localOds);
        if (owner == nullptr) {
            return context.giveUp(record, "transfer of practice " + conversation->localOds +
                                              ", which this agent no longer acts for");
        }
        if (addressee != nullptr && addressee != owner) {
            return context.giveUp(record, "addressed to practice " + addressee->odsCode +
                                              " in a transfer of practice " + owner->odsCode);
        }
        context.actAs(*owner);
    } else {
        context.actAs(addressee != nullptr ? *addressee : practices.defaultPractice());
    }

    auto message = wire::readGp2gpMessage(*parsed, context.settings().maxRecordBytes);
    if (!message) {
        if (isExtractAction(header.action)) {
            return requester.onMalformedExtract(record, conversation, message.error());
        }
        // A request we cannot read does not say reliably whom to answer (18 needs a route).
        return context.giveUp(record,
                              header.action + " not well formed: " + message.error().describe());
    }
    switch (message->kind) {
    case Kind::EhrRequest:
        if (!conversation && addressee == nullptr && message->request) {
            // No party key of ours on it: the practice it names as the record's holder, if ours
            // (otherwise the default practice refuses it as addressed elsewhere).
            if (const Practice* named = practices.byOdsCode(message->request->senderOds)) {
                context.actAs(*named);
            }
        }
        return sender.onRequest(record, *message, conversation);
    case Kind::EhrExtract:
        return requester.onExtract(record, *message, conversation);
    case Kind::Continue:
        return sender.onContinue(record, *message, conversation);
    case Kind::Attachment:
    case Kind::FragmentIndex:
    case Kind::Fragment:
        if (!conversation) {
            return context.giveUp(record, "COPC document for no known transfer");
        }
        return requester.onDocument(record, *message, *conversation);
    case Kind::Ack:
        if (!conversation) {
            return context.giveUp(record, "acknowledgement for no known transfer");
        }
        if (conversation->role == gp2gp::kRoleSender) {
            return sender.onAck(record, *message, *conversation);
        }
        return requester.onAck(record, *message, *conversation);
    }
    return context.giveUp(record, "unknown GP2GP message kind");
}

int Gp2gpService::Impl::runOnce() {
    std::lock_guard work(workMutex);
    context.clearRetry();
    int changes = 0;
    auto count = [&](Outcome outcome) { changes += outcome == Outcome::Changed ? 1 : 0; };

    // 1. What arrived, oldest first. A message that cannot be handled now stays pending and is
    //    skipped for the rest of this pass.
    std::set<std::string> deferred;
    for (;;) {
        auto pending = context.store().pendingInbound(kInboundBatch);
        if (!pending) {
            logger().error("cannot read the inbox: " + pending.error().describe());
            context.noteRetry();
            break;
        }
        bool progressed = false;
        for (const auto& record : *pending) {
            if (deferred.count(record.message.messageId) > 0) {
                continue;
            }
            Outcome outcome = Outcome::Unchanged;
            try {
                outcome = processInbound(record);
            } catch (const std::exception& e) {
                // One message that trips a bug must not hold up every message behind it.
                outcome = context.giveUp(record, std::string("unexpected error: ") + e.what());
            }
            if (outcome == Outcome::Deferred) {
                deferred.insert(record.message.messageId);
            } else {
                progressed = true;
            }
            count(outcome);
        }
        if (!progressed || static_cast<int>(pending->size()) < kInboundBatch) {
            break;
        }
    }

    // 2. Transfers whose outbound messages finished, or whose documents are all in.
    for (const char* state : kActiveStates) {
        for (const auto& conversation : context.store().listConversations(state, kListLimit)) {
            if (!actForTransfer(conversation)) {
                continue;
            }
            count(conversation.role == gp2gp::kRoleSender ? sender.reconcile(conversation)
                                                          : requester.reconcile(conversation));
        }
    }

    // 3. Timeouts. Reconciliation ran first, so a transfer that just completed is not failed.
    for (const auto& due : context.store().conversationsDue(context.now())) {
        const auto current = context.store().findConversation(due.conversationId);
        if (!current || !current->deadline || *current->deadline > context.now() ||
            !actForTransfer(*current)) {
            continue;
        }
        count(current->role == gp2gp::kRoleSender ? sender.onDeadline(*current)
                                                  : requester.onDeadline(*current));
    }
    return changes;
}

bool Gp2gpService::Impl::actForTransfer(const Conversation& conversation) {
    if (context.actAs(conversation.localOds)) {
        return true;
    }
    if (unknownPractices.insert(conversation.localOds).second) {
        logger().warning("transfers of practice " + conversation.localOds +
                         " are left alone: this agent no longer acts for it (first: " +
                         conversation.conversationId + ")");
    }
    return false;
}

void Gp2gpService::Impl::workerMain() {
    for (;;) {
        std::uint64_t seen = 0;
        {
            std::lock_guard lock(wakeMutex);
            if (stopping) {
                return;
            }
            seen = generation;
        }
        int changes = 0;
        std::optional<TimePoint> wakeAt;
        // Of instances sharing a store one leads the workflows; the others sleep until woken
        // (WorkflowLeadTaken), with no deadline of their own to keep.
        const bool leads = deps.store.leadsWorkflows();
        try {
            changes = leads ? runOnce() : 0;
            std::lock_guard work(workMutex);
            wakeAt = leads ? context.retryAt() : std::nullopt;
            const auto next = leads ? context.store().nextConversationDeadline() : std::nullopt;
            const TimePoint now = context.now();
            if (next && *next > now && (!wakeAt || *next < *wakeAt)) {
                wakeAt = next;
            }
            if (next && *next <= now && !wakeAt) {
                wakeAt = now + kFailureBackoff; // a deadline that could not be acted on yet
            }
        } catch (const std::exception& e) {
            logger().error(std::string("GP2GP pass failed: ") + e.what());
            wakeAt = context.now() + kFailureBackoff;
        }
        if (changes > 0) {
            continue; // one change may enable the next (an extract, then its import)
        }
        std::unique_lock lock(wakeMutex);
        const auto woken = [&] { return stopping || generation != seen; };
        if (wakeAt) {
            const auto wait = std::chrono::duration_cast<Milliseconds>(*wakeAt - context.now());
            wake.wait_for(lock, std::max(wait, Milliseconds(0)), woken);
        } else {
            wake.wait(lock, woken);
        }
    }
}

Gp2gpService::Gp2gpService(Dependencies dependencies, PracticeDirectory practices,
                           AgentSettings::Gp2gp settings, std::filesystem::path outboxDir)
    : m_impl(std::make_unique<Impl>(std::move(dependencies), std::move(practices),
                                    std::move(settings), std::move(outboxDir))) {}

Gp2gpService::Gp2gpService(Dependencies dependencies, PracticeIdentity practice,
                           AgentSettings::Gp2gp settings, std::filesystem::path outboxDir)
    : Gp2gpService(std::move(dependencies),
                   PracticeDirectory({Practice{std::move(practice.odsCode),
                                               std::move(practice.partyKey),
                                               std::move(practice.asid),
                                               {},
                                               {}}}),
                   std::move(settings), std::move(outboxDir)) {}

Gp2gpService::~Gp2gpService() {
    stop();
}

void Gp2gpService::start() {
    std::lock_guard lock(m_impl->wakeMutex);
    if (m_impl->worker.joinable()) {
        return;
    }
    m_impl->stopping = false;
    m_impl->worker = std::thread([impl = m_impl.get()] { impl->workerMain(); });
}

void Gp2gpService::stop() {
    std::thread worker;
    {
        std::lock_guard lock(m_impl->wakeMutex);
        m_impl->stopping = true;
        worker.swap(m_impl->worker);
    }
    m_impl->wake.notify_all();
    if (worker.joinable()) {
        worker.join();
    }
}

const PracticeDirectory& Gp2gpService::practices() const {
    return m_impl->practices;
}

void Gp2gpService::inboundArrived() {
    m_impl->notify();
}

void Gp2gpService::outboundFinished(const MessageRecord& message) {
    if (message.service == wire::kService) {
        m_impl->notify();
    }
}

Result<std::string> Gp2gpService::requestRecord(const std::string& requesterOdsCode,
                                                const std::string& nhsNumber,
                                                const std::string& fromOdsCode,
                                                const std::string& actor) {
    Result<std::string> result = failure("", "");
    {
        std::lock_guard work(m_impl->workMutex);
        if (!m_impl->context.actAs(requesterOdsCode)) {
            return failure("practice", "this agent does not act for " + requesterOdsCode);
        }
        result = m_impl->requester.request(nhsNumber, fromOdsCode, actor);
    }
    if (result) {
        m_impl->notify();
    }
    return result;
}

Status Gp2gpService::acknowledge(const std::string& conversationId, bool accepted,
                                 const std::string& reasonCode, const std::string& actor) {
    Status result = success();
    {
        std::lock_guard work(m_impl->workMutex);
        const auto transfer = m_impl->context.store().findConversation(conversationId);
        if (transfer && !m_impl->actForTransfer(*transfer)) {
            return failure("conversationId", "the transfer's practice " + transfer->localOds +
                                                 " is not one this agent acts for");
        }
        result = m_impl->requester.acknowledge(conversationId, accepted, reasonCode, actor);
    }
    if (result) {
        m_impl->notify();
    }
    return result;
}

int Gp2gpService::runOnce() {
    return m_impl->runOnce();
}

} // namespace gp::agent
