#pragma once

#include "TransferContext.hpp"

#include <gp/messaging/gp2gp/Gp2gpMessages.hpp>

#include <optional>

namespace gp::agent::gp2gp {

/// The sending role (the patient's old practice): answers an EHR request with the extract,
/// sends the external documents on the Continue, acknowledges the request once everything has
/// left, and closes on the requester's final acknowledgement. Each method is one decision and
/// at most one Store::applyStep; each checks the stored state first, so running it again after
/// a crash changes nothing twice.
class SenderWorkflow {
public:
    explicit SenderWorkflow(TransferContext& context) : m_context(context) {}

    Outcome onRequest(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                      const std::optional<Conversation>& conversation);
    Outcome onContinue(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                       const std::optional<Conversation>& conversation);
    Outcome onAck(const InboundRecord& record, const messaging::gp2gp::InboundGp2gp& message,
                  const Conversation& conversation);
    Outcome reconcile(const Conversation& conversation);
    Outcome onDeadline(const Conversation& conversation);

private:
    Outcome refuse(const InboundRecord& record, Conversation conversation,
                   messaging::gp2gp::NackReason reason, const std::string& text);
    Outcome sendExtract(const InboundRecord& record, Conversation conversation,
                        const messaging::gp2gp::EhrRequest& request);

    TransferContext& m_context;
};

} // namespace gp::agent::gp2gp
