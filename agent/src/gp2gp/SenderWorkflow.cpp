#include "SenderWorkflow.hpp"

#include "ExtractPlanner.hpp"
#include "PatientRecord.hpp"
#include "TransferFiles.hpp"
#include "TransferStates.hpp"

#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Logger.h>

#include <algorithm>
#include <map>

namespace gp::agent::gp2gp {

namespace {

namespace wire = messaging::gp2gp;
using wire::NackReason;

/// Room for the skeleton extract beside the compressed original in one message.
constexpr std::uint64_t kSkeletonAllowance = 16 * 1024;

std::string plural(std::size_t count, const std::string& noun) {
    return std::to_string(count) + " " + noun + (count == 1 ? "" : "s");
}

bool ended(MessageState state) {
    return state == MessageState::Failed || state == MessageState::Expired;
}

// "6" and "06" are one code; anything we do not know stays as sent.
std::string normalisedCode(const std::string& code) {
    if (auto reason = wire::nackReasonFromCode(code)) {
        return wire::twoDigitCode(*reason);
    }
    return code.empty() ? wire::twoDigitCode(NackReason::UnexpectedCondition) : code;
}

std::string describeCode(const std::string& code) {
    if (auto reason = wire::nackReasonFromCode(code)) {
        return std::string(wire::describe(*reason));
    }
    return "code " + code;
}

} // namespace

Outcome SenderWorkflow::onRequest(const InboundRecord& record, const wire::InboundGp2gp& message,
                                  const std::optional<Conversation>& conversation) {
    if (conversation) {
        return m_context.ignore(record, conversation->conversationId, "gp2gp-duplicate-request",
                                "EHR request for a transfer already known");
    }
    const wire::EhrRequest& request = *message.request;
    const TimePoint now = m_context.now();
    Conversation transfer;
    transfer.conversationId =
        message.conversationId.empty() ? record.message.conversationId : message.conversationId;
    transfer.role = kRoleSender;
    transfer.nhsNumber = request.nhsNumber;
    transfer.localOds = m_context.practice().odsCode;
    transfer.remoteOds = request.requesterOds;
    transfer.requestId = request.requestId;
    transfer.requestMessageId = message.messageId;
    transfer.createdAt = now;
    transfer.updatedAt = now;

    if (!messaging::ids::checkOdsCode(request.requesterOds)) {
        // Without the requester's ODS code there is nobody to send a NACK to.
        return m_context.giveUp(record, "EHR request names no valid requesting practice");
    }
    if (!messaging::ids::checkNhsNumber(request.nhsNumber)) {
        return refuse(record, transfer, NackReason::RequestNotWellFormed,
                      "the request's NHS number is not valid");
    }
    if (request.senderOds != m_context.practice().odsCode) {
        return refuse(record, transfer, NackReason::RequestNotWellFormed,
                      "the request is addressed to " + request.senderOds + ", not this practice");
    }
    std::error_code error;
    if (!std::filesystem::is_directory(m_context.recordSource() / request.nhsNumber, error)) {
        return refuse(record, transfer, NackReason::PatientNotAtSurgery,
                      "the patient is not in gp2gp.recordSource");
    }
    return sendExtract(record, std::move(transfer), request);
}

Outcome SenderWorkflow::refuse(const InboundRecord& record, Conversation conversation,
                               NackReason reason, const std::string& text) {
    auto nack = m_context.ack(conversation.conversationId, conversation.remoteOds,
                              conversation.requestMessageId, reason);
    if (!nack) {
        m_context.noteRetry();
        return Outcome::Deferred;
    }
    const std::string code = wire::twoDigitCode(reason);
    WorkflowStep step;
    step.conversation = failed(std::move(conversation), code, text, m_context.now());
    step.outbound.push_back(std::move(*nack));
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(m_context.audit(step.conversation->conversationId, "gp2gp-nack-sent",
                                         "NACK " + code + " (" +
                                             std::string(wire::describe(reason)) + ") of request " +
                                             record.message.messageId + ": " + text));
    m_context.logger().notice("GP2GP transfer " + step.conversation->conversationId +
                              ": refused with " + code + ": " + text);
    return m_context.commit(step);
}

Outcome SenderWorkflow::sendExtract(const InboundRecord& record, Conversation transfer,
                                    const wire::EhrRequest& request) {
    const auto& settings = m_context.settings();
    const std::string& conversationId = transfer.conversationId;
    // Nothing in the store names this transfer yet: anything in its folder is left over from a
    // run that stopped before committing, and is built again below.
    std::error_code ignored;
    std::filesystem::remove_all(m_context.conversationDir(conversationId), ignored);

    auto patient = readPatientRecord(m_context.recordSource() / request.nhsNumber,
                                     request.nhsNumber, m_context.random());
    if (!patient) {
        // The error names a field of record.json, never its content.
        return refuse(record, transfer, NackReason::FailedToGenerateExtract,
                      "record.json: " + patient.error().describe());
    }
    auto extractRoute = m_context.route(transfer.remoteOds, wire::kEhrExtract);
    if (!extractRoute) {
        return refuse(record, transfer, NackReason::SdsLookupFailed,
                      "no SDS route for the EHR extract: " + extractRoute.error().describe());
    }

    wire::EhrExtractSpec spec;
    spec.messageId = m_context.newId();
    spec.creationTime = std::chrono::floor<std::chrono::seconds>(m_context.now());
    spec.extractId = m_context.newId();
    spec.requestId = request.requestId;
    spec.nhsNumber = request.nhsNumber;
    spec.senderOds = m_context.practice().odsCode;
    spec.requesterOds = transfer.remoteOds;
    spec.senderAsid = m_context.practice().asid;
    spec.requesterAsid = request.requesterAsid;
    spec.compositions = patient->compositions;

    // Measure the extract as if every document were inline; the references differ only in
    // their cid:/mid: prefix, so the size barely moves once the plan is made.
    const auto& attachments = patient->attachments;
    std::vector<std::uint64_t> sizes;
    for (const auto& attachment : attachments) {
        wire::DocumentReference reference;
        reference.documentId = m_context.newId();
        reference.href = "cid:" + reference.documentId;
        reference.title = attachment.title;
        reference.description.filename = attachment.filename;
        reference.description.contentType = attachment.contentType;
        reference.description.length = attachment.bytes;
        spec.documents.push_back(reference);
        sizes.push_back(attachment.bytes);
    }
    const std::string provisional = wire::buildEhrExtract(spec);
    std::uint64_t extractWire = provisional.size();
    const bool compress = provisional.size() > settings.largeThreshold;
    if (compress) {
        extractWire = base64WireBytes(wire::gzipCompress(provisional).size()) + kSkeletonAllowance;
        if (extractWire > kMaxMessageBytes) {
            return refuse(record, transfer, NackReason::FailedToGenerateExtract,
                          "the extract is too large to send even compressed");
        }
    }
    const ExtractPlan plan =
        planExtract(sizes, provisional.size(), extractWire, settings.largeThreshold);

    std::vector<messaging::ebxml::Attachment> inlineAttachments;
    std::vector<wire::ExternalDocument> externals;
    std::vector<ConversationPart> parts;
    std::size_t inlineCount = 0;
    std::size_t externalCount = 0;
    std::size_t fragmentedCount = 0;
    std::uint64_t fragmentBytes = 0;
    std::uint64_t totalBytes = 0;
    std::vector<std::string> documentOrder;
    for (std::size_t i = 0; i < attachments.size(); ++i) {
        const auto& attachment = attachments[i];
        const AttachmentPlan& placement = plan.attachments[i];
        wire::AttachmentDescription description;
        description.filename = attachment.filename;
        description.contentType = attachment.contentType;
        description.largeAttachment = placement.placement == Placement::Fragmented;
        description.length = attachment.bytes;
        const std::string formatted = wire::formatAttachmentDescription(description);
        totalBytes += attachment.bytes;

        ConversationPart part;
        part.conversationId = conversationId;
        part.partId = m_context.newId();
        part.filename = attachment.filename;
        part.contentType = attachment.contentType;
        part.expectedBytes = static_cast<std::int64_t>(attachment.bytes);
        part.file = attachment.file;
        part.description = formatted;
        spec.documents[i].description = description;
        documentOrder.push_back(part.partId);

        if (placement.placement == Placement::Inline) {
            auto bytes = readRange(attachment.file, 0, attachment.bytes);
            if (!bytes) {
                return refuse(record, transfer, NackReason::FailedToGenerateExtract,
                              "attachments[" + std::to_string(i) +
                                  "]: " + bytes.error().describe());
            }
            messaging::ebxml::Attachment carried;
            carried.contentId = part.partId;
            carried.contentType = attachment.contentType;
            carried.description = formatted;
            carried.body = std::move(*bytes);
            carried.base64 = true;
            inlineAttachments.push_back(std::move(carried));
            spec.documents[i].href = "cid:" + part.partId;
            part.kind = kPartInline;
            part.state = kPartSent;
            parts.push_back(part);
            ++inlineCount;
            continue;
        }
        spec.documents[i].href = "mid:" + part.partId;
        externals.push_back(wire::ExternalDocument{part.partId, description});
        part.state = kPartPlanned;
        if (placement.placement == Placement::External) {
            part.kind = kPartExternal;
            parts.push_back(part);
            ++externalCount;
            continue;
        }
        part.kind = kPartFragmentIndex;
        parts.push_back(part);
        ++fragmentedCount;
        fragmentBytes = placement.fragmentBytes;
        const auto ranges = wire::planFragments(attachment.bytes, placement.fragmentBytes);
        for (std::size_t f = 0; f < ranges.size(); ++f) {
            ConversationPart fragment;
            fragment.conversationId = conversationId;
            fragment.partId = m_context.newId();
            fragment.kind = kPartFragment;
            fragment.parentPartId = part.partId;
            fragment.sequence = static_cast<int>(f);
            fragment.filename = wire::fragmentFilename(part.partId, static_cast<int>(f));
            fragment.contentType = attachment.contentType;
            fragment.expectedBytes = static_cast<std::int64_t>(ranges[f].length);
            fragment.state = kPartPlanned;
            fragment.file = attachment.file;
            parts.push_back(fragment);
        }
    }

    const auto routing = m_context.routing(*extractRoute, transfer.remoteOds);
    const auto envelope = m_context.envelope(conversationId, spec.messageId);
    const auto message =
        plan.compressExtract
            ? wire::compressedExtractMessage(routing, envelope, spec, externals)
            : wire::ehrExtractMessage(routing, envelope, spec, inlineAttachments, externals);
    inlineAttachments.clear();
    auto outbound = m_context.prepare(message, *extractRoute);
    if (!outbound) {
        m_context.logger().error("cannot write the extract of " + conversationId + ": " +
                                 outbound.error().describe());
        m_context.noteRetry();
        return Outcome::Deferred;
    }

    const TimePoint now = m_context.now();
    transfer.state = kExtractSent;
    transfer.extractMessageId = spec.messageId;
    transfer.deadline = now + settings.finalAckTimeout;
    transfer.partsExpected = static_cast<int>(attachments.size());
    transfer.bytesExpected = static_cast<std::int64_t>(totalBytes);
    transfer.updatedAt = now;
    TransferData data(transfer.data);
    data.set("extractSentAt", toEpochMillis(now));
    data.set("fragmentBytes", static_cast<std::int64_t>(fragmentBytes));
    data.set("compressed", static_cast<std::int64_t>(plan.compressExtract ? 1 : 0));
    data.set("documents", documentOrder);
    transfer.data = data.json();

    WorkflowStep step;
    step.conversation = transfer;
    step.parts = std::move(parts);
    step.outbound.push_back(std::move(*outbound));
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(m_context.audit(
        conversationId, "gp2gp-extract-sent",
        "extract " + spec.messageId + " answering request " + record.message.messageId + ": " +
            std::to_string(inlineCount) + " inline, " + std::to_string(externalCount) +
            " external, " + std::to_string(fragmentedCount) + " fragmented document(s)" +
            (plan.compressExtract ? ", compressed" : "")));
    m_context.logger().information("GP2GP transfer " + conversationId + ": extract " +
                                   spec.messageId + " queued with " +
                                   plural(attachments.size(), "document"));
    return m_context.commit(step);
}

Outcome SenderWorkflow::onContinue(const InboundRecord& record, const wire::InboundGp2gp& message,
                                   const std::optional<Conversation>& conversation) {
    if (!conversation || conversation->role != kRoleSender) {
        return m_context.ignore(record, conversation ? conversation->conversationId : "",
                                "gp2gp-continue-out-of-order",
                                "Continue for a transfer whose extract was not sent");
    }
    Conversation transfer = *conversation;
    if (transfer.state != kExtractSent) {
        const bool duplicate = transfer.state == kDocumentsSent ||
                               transfer.state == kAwaitingFinalAck || transfer.state == kClosed;
        return m_context.ignore(record, transfer.conversationId,
                                duplicate ? "gp2gp-duplicate-continue" : "gp2gp-continue-ignored",
                                "Continue while the transfer is " + transfer.state);
    }
    if (!message.acknowledgedMessageId.empty() &&
        message.acknowledgedMessageId != transfer.extractMessageId) {
        return m_context.ignore(record, transfer.conversationId, "gp2gp-continue-ignored",
                                "Continue refers to " + message.acknowledgedMessageId +
                                    ", not the extract");
    }
    auto route = m_context.route(transfer.remoteOds, wire::kCommon);
    if (!route) {
        m_context.noteRetry();
        return Outcome::Deferred;
    }
    const auto routing = m_context.routing(*route, transfer.remoteOds);
    const TransferData data(transfer.data);
    const auto fragmentBytes = static_cast<std::uint64_t>(data.number("fragmentBytes"));

    auto parts = m_context.store().partsOf(transfer.conversationId);
    std::stable_sort(parts.begin(), parts.end(),
                     [](const ConversationPart& a, const ConversationPart& b) {
                         return a.sequence < b.sequence;
                     });
    // Each COPC is committed as soon as its body is on disk, so the dispatcher sends the first
    // while the next is being written. The Continue is marked processed only with the last: after
    // a crash it is processed again and picks up the parts still planned.
    std::size_t queued = 0;
    for (const auto& part : parts) {
        if (part.state != kPartPlanned) {
            continue;
        }
        // The file must still be what the extract described.
        const auto& source =
            part.kind == kPartFragment ? findPart(parts, part.parentPartId) : &part;
        if (source == nullptr || fileBytes(part.file) != source->expectedBytes) {
            return refuse(record, transfer, NackReason::FailedToGenerateExtract,
                          "document " + part.filename + " changed after the extract was sent");
        }
        auto description = wire::parseAttachmentDescription(source->description);
        if (!description) {
            return refuse(record, transfer, NackReason::UnexpectedCondition,
                          "stored description of " + source->partId + " unreadable");
        }
        const auto envelope = m_context.envelope(transfer.conversationId, part.partId);
        const auto length = static_cast<std::uint64_t>(part.expectedBytes);
        Result<OutboundMessage> outbound = failure("kind", "not a document part");
        std::string what;
        if (part.kind == kPartExternal) {
            // Streamed from the document's file into the body file: never read whole.
            outbound = m_context.prepareFromFile(
                wire::attachmentMessage(routing, envelope, *description, {}), *route, part.file, 0,
                length);
            what = "document";
        } else if (part.kind == kPartFragmentIndex) {
            std::vector<std::string> fragmentIds;
            for (const auto& fragment : parts) {
                if (fragment.kind == kPartFragment && fragment.parentPartId == part.partId) {
                    fragmentIds.push_back(fragment.partId); // already in sequence order
                }
            }
            outbound = m_context.prepare(
                wire::fragmentIndexMessage(routing, envelope, *description, fragmentIds), *route);
            what = "fragment index";
        } else if (part.kind == kPartFragment) {
            outbound = m_context.prepareFromFile(
                wire::fragmentMessageShell(routing, envelope, part.parentPartId, part.sequence,
                                           length),
                *route, part.file, static_cast<std::uint64_t>(part.sequence) * fragmentBytes,
                length);
            what = "fragment " + std::to_string(part.sequence) + " of " + part.parentPartId;
        } else {
            continue;
        }
        if (!outbound) {
            if (outbound.error().message.find("the file changed") != std::string::npos) {
                return refuse(record, transfer, NackReason::FailedToGenerateExtract,
                              outbound.error().describe());
            }
            m_context.logger().error("cannot write COPC " + part.partId + ": " +
                                     outbound.error().describe());
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        WorkflowStep partStep;
        partStep.outbound.push_back(std::move(*outbound));
        ConversationPart sent = part;
        sent.state = kPartSent;
        partStep.parts.push_back(sent);
        partStep.audit.push_back(m_context.audit(transfer.conversationId, "gp2gp-document-queued",
                                                 "COPC " + part.partId + " (" + what + ")"));
        if (const Outcome committed = m_context.commit(partStep); committed != Outcome::Changed) {
            return committed;
        }
        ++queued;
    }
    WorkflowStep step;
    transfer = withState(std::move(transfer), kDocumentsSent, m_context.now());
    step.conversation = transfer;
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(m_context.audit(transfer.conversationId, "gp2gp-documents-sent",
                                         plural(queued, "COPC message") +
                                             " queued after Continue " + record.message.messageId));
    return m_context.commit(step);
}

Outcome SenderWorkflow::onAck(const InboundRecord& record, const wire::InboundGp2gp& message,
                              const Conversation& conversation) {
    const auto& ack = *message.ack;
    const bool negative = ack.typeCode != messaging::hl7::AckTypeCode::AA;
    const std::string code = ack.details.empty() ? std::string() : ack.details.front().code;
    const std::string typeCode(messaging::hl7::toString(ack.typeCode));
    const std::string ref = ack.messageRef.empty() ? message.acknowledgedMessageId : ack.messageRef;
    const TimePoint now = m_context.now();

    if (ref == conversation.extractMessageId) {
        if (isFinalState(conversation.state)) {
            return m_context.ignore(record, conversation.conversationId, "gp2gp-duplicate-ack",
                                    typeCode + " of the extract after the transfer ended");
        }
        WorkflowStep step;
        step.inboundProcessed.push_back(record.message.messageId);
        const bool suppressed = negative && normalisedCode(code) == "15";
        if (!negative || suppressed) {
            Conversation closed = withState(conversation, kClosed, now);
            closed.deadline.reset();
            if (suppressed) {
                closed.errorCode = "15";
                closed.errorText = describeCode("15");
            }
            step.conversation = closed;
            step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-closed",
                                                 "final " + typeCode + " " + message.messageId +
                                                     " of extract " + ref));
        } else {
            const std::string reason = normalisedCode(code);
            step.conversation =
                failed(conversation, reason,
                       "the requester rejected the record: " + describeCode(reason), now);
            step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-failed",
                                                 "final " + typeCode + " " + reason + " " +
                                                     message.messageId + " of extract " + ref));
        }
        m_context.logger().notice("GP2GP transfer " + conversation.conversationId + ": " +
                                  step.conversation->state);
        const Outcome outcome = m_context.commit(step);
        m_context.tidy(conversation.conversationId);
        return outcome;
    }
    if (negative && !isFinalState(conversation.state)) {
        const std::string reason = normalisedCode(code);
        WorkflowStep step;
        step.inboundProcessed.push_back(record.message.messageId);
        step.conversation =
            failed(conversation, reason, "the requester sent a NACK: " + describeCode(reason), now);
        step.audit.push_back(
            m_context.audit(conversation.conversationId, "gp2gp-failed",
                            typeCode + " " + reason + " " + message.messageId + " of " + ref));
        return m_context.commit(step);
    }
    return m_context.ignore(record, conversation.conversationId, "gp2gp-ack-received",
                            typeCode + " " + message.messageId + " of " + ref);
}

Outcome SenderWorkflow::reconcile(const Conversation& conversation) {
    if (conversation.state != kExtractSent && conversation.state != kDocumentsSent) {
        return Outcome::Unchanged;
    }
    std::map<std::string, MessageRecord> messages;
    for (auto& message : m_context.store().messagesOf(conversation.conversationId)) {
        messages.emplace(message.messageId, message);
    }
    const TimePoint now = m_context.now();
    const auto extract = messages.find(conversation.extractMessageId);
    if (extract == messages.end()) {
        return Outcome::Unchanged;
    }
    auto fail = [&](const std::string& text) {
        WorkflowStep step;
        step.conversation =
            failed(conversation, wire::twoDigitCode(NackReason::SpineError), text, now);
        step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-failed", text));
        m_context.logger().warning("GP2GP transfer " + conversation.conversationId + ": " + text);
        return m_context.commit(step);
    };
    if (ended(extract->second.state)) {
        return fail("extract " + conversation.extractMessageId + " could not be delivered (" +
                    std::string(toString(extract->second.state)) + ")");
    }
    const bool extractAcked = extract->second.state == MessageState::Acked;

    const auto parts = m_context.store().partsOf(conversation.conversationId);
    bool allQueued = true;
    bool allAcked = extractAcked;
    int partsDone = 0;
    std::int64_t bytesDone = 0;
    std::map<std::string, bool> indexDone; // fragment index part id → it and its fragments acked
    for (const auto& part : parts) {
        const std::int64_t bytes = std::max<std::int64_t>(part.expectedBytes, 0);
        if (part.kind == kPartInline) {
            if (extractAcked) {
                ++partsDone;
                bytesDone += bytes;
            }
            continue;
        }
        if (part.state == kPartPlanned) {
            allQueued = false;
            if (part.kind == kPartFragmentIndex) {
                indexDone[part.partId] = false;
            }
            continue;
        }
        const auto sent = messages.find(part.partId);
        const bool acked = sent != messages.end() && sent->second.state == MessageState::Acked;
        if (sent != messages.end() && ended(sent->second.state)) {
            return fail("document message " + part.partId + " could not be delivered (" +
                        std::string(toString(sent->second.state)) + ")");
        }
        allAcked = allAcked && acked;
        if (part.kind == kPartExternal && acked) {
            ++partsDone;
            bytesDone += bytes;
        } else if (part.kind == kPartFragment) {
            bytesDone += acked ? bytes : 0;
            auto [entry, inserted] = indexDone.emplace(part.parentPartId, acked);
            if (!inserted) {
                entry->second = entry->second && acked;
            }
        } else if (part.kind == kPartFragmentIndex) {
            auto [entry, inserted] = indexDone.emplace(part.partId, acked);
            if (!inserted) {
                entry->second = entry->second && acked;
            }
        }
    }
    for (const auto& [id, done] : indexDone) {
        partsDone += done ? 1 : 0;
    }

    Conversation updated = conversation;
    updated.partsDone = partsDone;
    updated.bytesDone = bytesDone;
    if (extractAcked && allQueued && allAcked) {
        // Only now, with the extract and every document delivered, is the request answered.
        auto ack = m_context.ack(conversation.conversationId, conversation.remoteOds,
                                 conversation.requestMessageId, std::nullopt);
        if (!ack) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        updated = withState(std::move(updated), kAwaitingFinalAck, now);
        updated.deadline = now + m_context.settings().finalAckTimeout;
        TransferData data(updated.data);
        data.set("requestAckMessageId", ack->messageId);
        updated.data = data.json();
        WorkflowStep step;
        step.audit.push_back(
            m_context.audit(conversation.conversationId, "gp2gp-request-acknowledged",
                            "extract and " + plural(parts.size(), "part") + " delivered; AA " +
                                ack->messageId + " of request " + conversation.requestMessageId));
        step.outbound.push_back(std::move(*ack));
        step.conversation = updated;
        return m_context.commit(step);
    }
    if (partsDone == conversation.partsDone && bytesDone == conversation.bytesDone) {
        return Outcome::Unchanged;
    }
    updated.updatedAt = now;
    WorkflowStep step;
    step.conversation = updated;
    step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-progress",
                                         std::to_string(partsDone) + "/" +
                                             std::to_string(conversation.partsExpected) +
                                             " documents delivered"));
    return m_context.commit(step);
}

Outcome SenderWorkflow::onDeadline(const Conversation& conversation) {
    WorkflowStep step;
    if (conversation.state == kExtractSent || conversation.state == kDocumentsSent ||
        conversation.state == kAwaitingFinalAck) {
        const std::string text = "no final acknowledgement within gp2gp.finalAckTimeout";
        step.conversation =
            failed(conversation, wire::twoDigitCode(NackReason::UnexpectedCondition), text,
                   m_context.now());
        step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-timed-out", text));
        m_context.logger().warning("GP2GP transfer " + conversation.conversationId + ": " + text);
    } else {
        Conversation cleared = conversation;
        cleared.deadline.reset();
        step.conversation = cleared;
        step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-deadline-cleared",
                                             "no timeout applies in state " + conversation.state));
    }
    return m_context.commit(step);
}

} // namespace gp::agent::gp2gp
