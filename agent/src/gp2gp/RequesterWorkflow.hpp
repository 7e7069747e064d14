#pragma once

#include "TransferContext.hpp"

#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <optional>
#include <string>
#include <vector>

namespace gp::agent::gp2gp {

/// The requesting role (the patient's new practice): asks for the record, receives the extract
/// and its documents in any order, joins fragments, writes the record to the import folder and
/// sends the final acknowledgement. Like SenderWorkflow, every decision is one step that checks
/// the stored state first.
class RequesterWorkflow {
public:
    explicit RequesterWorkflow(TransferContext& context) : m_context(context) {}

    Result<std::string> request(const std::string& nhsNumber, const std::string& fromOdsCode,
                                const std::string& actor);
    Status acknowledge(const std::string& conversationId, bool accepted,
                       const std::string& reasonCode, const std::string& actor);

    Outcome onExtract(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                      const std::optional<Conversation>& conversation);
    Outcome onMalformedExtract(const InboundRecord& record,
                               const std::optional<Conversation>& conversation, const Error& error);
    Outcome onDocument(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                       const Conversation& conversation);
    Outcome onAck(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                  const Conversation& conversation);
    Outcome reconcile(const Conversation& conversation);
    Outcome onDeadline(const Conversation& conversation);

private:
    Outcome nack(const InboundRecord* record, Conversation conversation,
                 messaging::gp2gp::NackReason reason, const std::string& text);
    Outcome import(Conversation conversation, std::vector<ConversationPart> parts,
                   std::vector<ConversationPart> updates);
    Outcome closeIfAcknowledged(const Conversation& conversation);
    Milliseconds persistOf(std::string_view interaction, Milliseconds fallback);
    TimePoint receiveDeadline(const TransferData& data) const;
    void cleanUp(const std::string& conversationId);

    TransferContext& m_context;
};

/// Recomputes partsExpected/partsDone/bytesExpected/bytesDone of a receiving transfer from its
/// parts: documents are inline, external and fragment-index parts; bytes count every received
/// whole document and fragment.
void countProgress(Conversation& conversation, const std::vector<ConversationPart>& parts);

} // namespace gp::agent::gp2gp
