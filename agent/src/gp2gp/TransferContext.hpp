#pragma once

#include <gp/Result.hpp>
#include <gp/agent/Clock.hpp>
#include <gp/agent/config/Practices.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/agent/routing/RouteLookup.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace Poco {
class Logger;
}

namespace gp::agent::gp2gp {

/// What became of one piece of work (an inbound message, a deadline, a reconciliation).
enum class Outcome {
    Unchanged, // nothing to do
    Changed,   // a step was committed
    Deferred,  // cannot be done now (route lookup or storage failed): try again later
};

/// The workflow detail kept in Conversation::data as a JSON object.
class TransferData {
public:
    explicit TransferData(const std::string& json);
    std::int64_t number(const std::string& key, std::int64_t fallback = 0) const;
    std::string text(const std::string& key) const;
    std::vector<std::string> list(const std::string& key) const;
    void set(const std::string& key, std::int64_t value);
    void set(const std::string& key, const std::string& value);
    void set(const std::string& key, const std::vector<std::string>& values);
    std::string json() const;

private:
    Poco::JSON::Object::Ptr m_object;
};

/// What both roles share: the store, routes, ids, time, files and the way outbound GP2GP
/// messages are made ready for the outbox.
///
/// One context serves every practice of the agent. Each piece of work (an inbound message, a
/// deadline, a request from the API) first says which practice it is done as (actAs); everything
/// built until the next actAs carries that practice's ODS code, party key and ASID. Work runs
/// one piece at a time under the service's lock, so the acting practice cannot change under it.
class TransferContext {
public:
    TransferContext(Gp2gpService::Dependencies& deps, const PracticeDirectory& practices,
                    AgentSettings::Gp2gp settings, std::filesystem::path outboxDir);

    Store& store() { return m_deps.store; }
    const Clock& clock() const { return m_deps.clock; }
    TimePoint now() const { return m_deps.clock.now(); }
    const AgentSettings::Gp2gp& settings() const { return m_settings; }

    const PracticeDirectory& practices() const { return m_practices; }
    void actAs(const Practice& practice) { m_acting = &practice; }
    /// False (and acting for nobody) when this agent does not act for `odsCode`.
    bool actAs(std::string_view odsCode);
    /// The practice the current work is done as. Throws std::logic_error when no actAs came
    /// first: building a message under a guessed identity would be worse than not building it.
    const Practice& practice() const;
    /// Where the acting practice's records are read from and received records written to: the
    /// gp2gp.* folders themselves for an agent of one practice, a sub-folder named by the ODS
    /// code in each for an agent of several, so that no practice serves or sees another's.
    std::filesystem::path recordSource() const;
    std::filesystem::path importDir() const;

    std::string newId();
    messaging::ids::RandomSource& random() { return m_deps.random; }

    /// SDS route to `odsCode` for one GP2GP interaction.
    Result<Route> route(const std::string& odsCode, std::string_view interaction);
    messaging::gp2gp::Routing routing(const Route& route, const std::string& remoteOds) const;
    messaging::gp2gp::Envelope envelope(const std::string& conversationId,
                                        const std::string& messageId) const;

    /// Turns a built message into an outbox entry for `route`: bytes built once, retries and
    /// expiry from SDS, large bodies written (fsynced) to a file under the outbox folder.
    Result<OutboundMessage> prepare(const messaging::ebxml::Message& message, const Route& route);
    /// The same for a message whose last attachment (left with an empty body) carries `length`
    /// bytes of `file` from `offset`: they go from file to file in small pieces, base64-encoded
    /// on the way, so a document is never held in memory.
    Result<OutboundMessage> prepareFromFile(const messaging::ebxml::Message& message,
                                            const Route& route, const std::filesystem::path& file,
                                            std::uint64_t offset, std::uint64_t length);

    /// An application ack (AA, or a NACK with `nack`) of `acknowledgedMessageId` to `remoteOds`.
    Result<OutboundMessage> ack(const std::string& conversationId, const std::string& remoteOds,
                                const std::string& acknowledgedMessageId,
                                std::optional<messaging::gp2gp::NackReason> nack);

    /// Where a transfer's files live: outbound bodies directly, received parts under received/.
    std::filesystem::path conversationDir(const std::string& conversationId) const;
    std::filesystem::path receivedDir(const std::string& conversationId) const;
    /// Removes received/ and, once the outbox has deleted every body in it, the transfer's folder.
    void tidy(const std::string& conversationId) const;

    /// Commits a step and, when it queued messages, wakes the dispatcher. Storage failures are
    /// logged and reported as Deferred.
    Outcome commit(const WorkflowStep& step);
    /// The same, for callers that report the storage error to a person.
    Status apply(const WorkflowStep& step);

    AuditEvent audit(const std::string& conversationId, const std::string& event,
                     const std::string& detail, const std::string& actor = "gp2gp") const;

    /// A step that only marks an inbound message processed, with the reason in the audit trail.
    Outcome ignore(const InboundRecord& record, const std::string& conversationId,
                   const std::string& event, const std::string& detail);

    /// Gives up on an inbound message that cannot be processed (kept for duplicate elimination).
    Outcome giveUp(const InboundRecord& record, const std::string& reason);

    void noteRetry(); // something was Deferred: the worker wakes again soon
    std::optional<TimePoint> retryAt() const { return m_retryAt; }
    void clearRetry() { m_retryAt.reset(); }

    Poco::Logger& logger() const;

private:
    OutboundMessage outboundFor(const messaging::ebxml::MessageHeader& header, const Route& route,
                                std::string contentType, std::string soapAction) const;

    Gp2gpService::Dependencies& m_deps;
    const PracticeDirectory& m_practices;
    const Practice* m_acting = nullptr;
    AgentSettings::Gp2gp m_settings;
    std::filesystem::path m_outboxDir;
    std::optional<TimePoint> m_retryAt;
};

/// A conversation with `state`, error fields and updatedAt set.
Conversation withState(Conversation conversation, const std::string& state, TimePoint now);
Conversation failed(Conversation conversation, const std::string& code, const std::string& text,
                    TimePoint now);

/// Replaces parts with the same partId in `parts` by those of `updates`, adding new ones.
void mergeParts(std::vector<ConversationPart>& parts, const std::vector<ConversationPart>& updates);
const ConversationPart* findPart(const std::vector<ConversationPart>& parts,
                                 const std::string& partId);

} // namespace gp::agent::gp2gp
