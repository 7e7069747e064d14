#include "RequesterWorkflow.hpp"

#include "FragmentAssembly.hpp"
#include "ImportFolder.hpp"
#include "TransferFiles.hpp"
#include "TransferStates.hpp"

#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Logger.h>

#include <map>
#include <set>

namespace gp::agent::gp2gp {

namespace {

namespace wire = messaging::gp2gp;
using wire::NackReason;

// Persist durations published for GP2GP (PROTOCOL.md §2), used when SDS cannot be asked.
constexpr Milliseconds kExtractPersistFallback{(4 * 60 + 10) * 60 * 1000};
constexpr Milliseconds kCopcPersistFallback{7LL * 3600 * 1000};

bool isDocument(const ConversationPart& part) {
    return part.kind == kPartInline || part.kind == kPartExternal ||
           part.kind == kPartFragmentIndex;
}

bool receiving(const std::string& state) {
    return state == kRequested || state == kContinueSent || state == kExtractReceived;
}

bool ended(MessageState state) {
    return state == MessageState::Failed || state == MessageState::Expired;
}

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

// The bytes a received document was described with: only a plain (not compressed, not
// base64-wrapped) document can be checked against its Length.
std::optional<std::uint64_t> checkableLength(const std::optional<wire::AttachmentDescription>& d) {
    if (!d || d->compressed || d->originalBase64) {
        return std::nullopt;
    }
    return d->length;
}

std::optional<wire::AttachmentDescription> described(const std::string& text) {
    auto parsed = wire::parseAttachmentDescription(text);
    if (!parsed) {
        return std::nullopt;
    }
    return *parsed;
}

} // namespace

void countProgress(Conversation& conversation, const std::vector<ConversationPart>& parts) {
    conversation.partsExpected = 0;
    conversation.partsDone = 0;
    conversation.bytesExpected = 0;
    conversation.bytesDone = 0;
    for (const auto& part : parts) {
        const bool received = part.state == kPartReceived;
        if (isDocument(part)) {
            ++conversation.partsExpected;
            conversation.partsDone += received ? 1 : 0;
            conversation.bytesExpected += std::max<std::int64_t>(part.expectedBytes, 0);
        }
        // A joined index's bytes are already counted by its fragments.
        if (received && part.kind != kPartFragmentIndex) {
            conversation.bytesDone += std::max<std::int64_t>(part.expectedBytes, 0);
        }
    }
}

Result<std::string> RequesterWorkflow::request(const std::string& nhsNumber,
                                               const std::string& fromOdsCode,
                                               const std::string& actor) {
    if (auto valid = messaging::ids::checkNhsNumber(nhsNumber); !valid) {
        return failure("nhsNumber", valid.error().message);
    }
    if (auto valid = messaging::ids::checkOdsCode(fromOdsCode); !valid) {
        return failure("fromOdsCode", valid.error().message);
    }
    if (sameOdsCode(fromOdsCode, m_context.practice().odsCode)) {
        return failure("fromOdsCode", "is this practice's own ODS code");
    }
    if (m_context.practices().byOdsCode(fromOdsCode) != nullptr) {
        // Both ends of the transfer would be one row: conversations are keyed by their id alone.
        return failure("fromOdsCode", "is another practice of this agent; a transfer between "
                                      "two practices of one agent is not supported");
    }
    auto route = m_context.route(fromOdsCode, wire::kEhrRequest);
    if (!route) {
        return failure("sds", "no route to " + fromOdsCode +
                                  " for the EHR request: " + route.error().describe());
    }
    const std::string conversationId = m_context.newId();
    wire::EhrRequest request;
    request.messageId = m_context.newId();
    request.creationTime = std::chrono::floor<std::chrono::seconds>(m_context.now());
    request.requestId = m_context.newId();
    request.nhsNumber = nhsNumber;
    request.requesterOds = m_context.practice().odsCode;
    request.senderOds = fromOdsCode;
    request.requesterAsid = m_context.practice().asid;
    request.senderAsid = route->asid;
    const auto message =
        wire::ehrRequestMessage(m_context.routing(*route, fromOdsCode),
                                m_context.envelope(conversationId, request.messageId), request);
    auto outbound = m_context.prepare(message, *route);
    if (!outbound) {
        return failure("store", "cannot write the request: " + outbound.error().describe());
    }

    const TimePoint now = m_context.now();
    Conversation transfer;
    transfer.conversationId = conversationId;
    transfer.role = kRoleRequester;
    transfer.state = kRequested;
    transfer.nhsNumber = nhsNumber;
    transfer.localOds = m_context.practice().odsCode;
    transfer.remoteOds = fromOdsCode;
    transfer.requestId = request.requestId;
    transfer.requestMessageId = request.messageId;
    // A sender has this long to answer at all (the same bound it has for the whole transfer).
    transfer.deadline = now + m_context.settings().finalAckTimeout;
    transfer.createdAt = now;
    transfer.updatedAt = now;

    WorkflowStep step;
    step.conversation = transfer;
    step.outbound.push_back(std::move(*outbound));
    step.audit.push_back(m_context.audit(conversationId, "gp2gp-requested",
                                         "EHR request " + request.messageId + " to " + fromOdsCode,
                                         actor));
    if (auto applied = m_context.apply(step); !applied) {
        return failure("store", "not stored: " + applied.error().describe());
    }
    m_context.logger().information("GP2GP transfer " + conversationId + ": record requested from " +
                                   fromOdsCode);
    return conversationId;
}

Status RequesterWorkflow::acknowledge(const std::string& conversationId, bool accepted,
                                      const std::string& reasonCode, const std::string& actor) {
    auto found = m_context.store().findConversation(conversationId);
    if (!found) {
        return failure("conversationId", "no transfer with this id");
    }
    Conversation transfer = *found;
    if (transfer.role != kRoleRequester || transfer.state != kAwaitingAck) {
        return failure("state", "the transfer is " + transfer.state +
                                    "; only a received record awaiting acknowledgement can be "
                                    "acknowledged");
    }
    std::optional<NackReason> reason;
    if (!accepted) {
        reason = wire::nackReasonFromCode(reasonCode);
        if (!reason || reasonCode.size() != 2) {
            return failure("reasonCode", "must be a two-digit GP2GP NACK code such as \"11\"");
        }
    }
    auto ack = m_context.ack(conversationId, transfer.remoteOds, transfer.extractMessageId, reason);
    if (!ack) {
        return failure("sds", ack.error().describe());
    }
    const TimePoint now = m_context.now();
    WorkflowStep step;
    if (accepted) {
        transfer = withState(std::move(transfer), kComplete, now);
        TransferData data(transfer.data);
        data.set("finalAckMessageId", ack->messageId);
        transfer.data = data.json();
        step.audit.push_back(m_context.audit(
            conversationId, "gp2gp-accepted",
            "final AA " + ack->messageId + " of extract " + transfer.extractMessageId, actor));
    } else {
        const std::string code = wire::twoDigitCode(*reason);
        transfer = failed(std::move(transfer), code,
                          "rejected: " + std::string(wire::describe(*reason)), now);
        step.audit.push_back(m_context.audit(conversationId, "gp2gp-rejected",
                                             "final NACK " + code + " " + ack->messageId +
                                                 " of extract " + transfer.extractMessageId,
                                             actor));
    }
    step.conversation = transfer;
    step.outbound.push_back(std::move(*ack));
    if (auto applied = m_context.apply(step); !applied) {
        return failure("store", "not stored: " + applied.error().describe());
    }
    return success();
}

Milliseconds RequesterWorkflow::persistOf(std::string_view interaction, Milliseconds fallback) {
    // Persist durations of messages sent to us are published under our own ODS code.
    auto route = m_context.route(m_context.practice().odsCode, interaction);
    return route ? route->persistDuration : fallback;
}

TimePoint RequesterWorkflow::receiveDeadline(const TransferData& data) const {
    const TimePoint receivedAt = fromEpochMillis(data.number("extractReceivedAt"));
    if (const auto& timeout = m_context.settings().receiveTimeout) {
        return receivedAt + *timeout;
    }
    return receivedAt + Milliseconds(data.number("extractPersistMs")) +
           Milliseconds(data.number("copcPersistMs")) * data.number("copcCount");
}

void RequesterWorkflow::cleanUp(const std::string& conversationId) {
    m_context.tidy(conversationId);
}

Outcome RequesterWorkflow::nack(const InboundRecord* record, Conversation conversation,
                                NackReason reason, const std::string& text) {
    auto ack = m_context.ack(conversation.conversationId, conversation.remoteOds,
                             conversation.extractMessageId, reason);
    if (!ack) {
        m_context.noteRetry();
        return Outcome::Deferred;
    }
    const std::string code = wire::twoDigitCode(reason);
    WorkflowStep step;
    step.audit.push_back(m_context.audit(
        conversation.conversationId, "gp2gp-nack-sent",
        "NACK " + code + " (" + std::string(wire::describe(reason)) + ") " + ack->messageId +
            " of extract " + conversation.extractMessageId + ": " + text));
    step.conversation = failed(std::move(conversation), code, text, m_context.now());
    step.outbound.push_back(std::move(*ack));
    if (record != nullptr) {
        step.inboundProcessed.push_back(record->message.messageId);
    }
    m_context.logger().notice("GP2GP transfer " + step.conversation->conversationId + ": NACK " +
                              code + ": " + text);
    const Outcome outcome = m_context.commit(step);
    if (outcome == Outcome::Changed) {
        cleanUp(step.conversation->conversationId);
    }
    return outcome;
}

Outcome RequesterWorkflow::onExtract(const InboundRecord& record, const wire::InboundGp2gp& message,
                                     const std::optional<Conversation>& conversation) {
    const wire::EhrExtractSummary& summary = *message.extract;
    const std::string& conversationId = record.message.conversationId;
    if (!conversation || conversation->role != kRoleRequester) {
        if (!messaging::ids::checkOdsCode(summary.senderOds)) {
            return m_context.giveUp(record, "unexpected EHR extract from an unknown sender");
        }
        // Nobody here asked for this record: tell its sender (09).
        auto ack = m_context.ack(conversationId, summary.senderOds, message.messageId,
                                 NackReason::UnexpectedEhr);
        if (!ack) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        WorkflowStep step;
        step.audit.push_back(m_context.audit(conversationId, "gp2gp-unexpected-extract",
                                             "NACK 09 " + ack->messageId + " of extract " +
                                                 message.messageId + " from " + summary.senderOds));
        step.outbound.push_back(std::move(*ack));
        step.inboundProcessed.push_back(record.message.messageId);
        return m_context.commit(step);
    }
    Conversation transfer = *conversation;
    if (transfer.state != kRequested) {
        return m_context.ignore(record, transfer.conversationId, "gp2gp-duplicate-extract",
                                "extract " + message.messageId + " while the transfer is " +
                                    transfer.state);
    }
    transfer.extractMessageId = message.messageId;
    if (summary.nhsNumber != transfer.nhsNumber) {
        return nack(&record, transfer, NackReason::WrongPatient,
                    "the extract is for another patient");
    }
    if (!summary.requestId.empty() && summary.requestId != transfer.requestId) {
        return nack(&record, transfer, NackReason::ExtractNotWellFormed,
                    "the extract answers another request");
    }

    const auto& settings = m_context.settings();
    const auto directory = m_context.receivedDir(transfer.conversationId);
    if (auto written = writeSynced(directory / kExtractFilename, message.extractXml); !written) {
        m_context.logger().error("cannot store extract " + message.messageId + ": " +
                                 written.error().describe());
        m_context.noteRetry();
        return Outcome::Deferred;
    }

    auto parts = m_context.store().partsOf(transfer.conversationId);
    std::vector<ConversationPart> updates;
    for (std::size_t i = 0; i < message.attachments.size(); ++i) {
        const auto& carried = message.attachments[i];
        const auto description = described(carried.description);
        const auto file = directory / ("inline-" + std::to_string(i));
        if (auto written = writeSynced(file, carried.body); !written) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        const auto length = checkableLength(description);
        if (length && *length != carried.body.size()) {
            return nack(&record, transfer, NackReason::LargeMessageReassemblyFailure,
                        "inline document " + std::to_string(i + 1) + " has " +
                            std::to_string(carried.body.size()) + " bytes, its description says " +
                            std::to_string(*length));
        }
        ConversationPart part;
        part.conversationId = transfer.conversationId;
        part.partId = carried.contentId;
        part.kind = kPartInline;
        part.state = kPartReceived;
        part.file = file;
        part.filename = description ? description->filename : carried.contentId;
        part.contentType = description && !description->contentType.empty()
                               ? description->contentType
                               : carried.contentType;
        part.expectedBytes = static_cast<std::int64_t>(carried.body.size());
        part.description = carried.description;
        updates.push_back(part);
    }
    for (const auto& external : message.externalDocuments) {
        const auto& description = external.description;
        if (description.length && *description.length > settings.maxAttachmentBytes) {
            return nack(&record, transfer, NackReason::LargeMessageGeneralFailure,
                        "a document is larger than gp2gp.maxAttachmentBytes");
        }
        const ConversationPart* existing = findPart(parts, external.messageId);
        ConversationPart part = existing != nullptr ? *existing : ConversationPart{};
        part.conversationId = transfer.conversationId;
        part.partId = external.messageId;
        if (existing == nullptr) {
            part.kind = kPartExternal;
            part.state = kPartExpected;
        }
        part.filename = description.filename;
        part.contentType = description.contentType;
        if (part.state != kPartReceived || part.kind == kPartFragmentIndex) {
            part.expectedBytes =
                description.length ? static_cast<std::int64_t>(*description.length) : -1;
        }
        part.description = wire::formatAttachmentDescription(description);
        updates.push_back(part);
    }
    mergeParts(parts, updates);
    countProgress(transfer, parts);
    if (static_cast<std::uint64_t>(transfer.bytesExpected) > settings.maxRecordBytes) {
        return nack(&record, transfer, NackReason::LargeMessageGeneralFailure,
                    "the record is larger than gp2gp.maxRecordBytes");
    }

    // Documents in the order the extract refers to them, so the first "letter.pdf" keeps its name.
    std::vector<std::string> order;
    std::set<std::string> ordered;
    for (const auto& href : summary.documentHrefs) {
        const std::string id = href.size() > 4 ? href.substr(4) : href;
        if (findPart(parts, id) != nullptr && ordered.insert(id).second) {
            order.push_back(id);
        }
    }
    for (const auto& part : updates) {
        if (ordered.insert(part.partId).second) {
            order.push_back(part.partId);
        }
    }

    const TimePoint now = m_context.now();
    TransferData data(transfer.data);
    data.set("extractReceivedAt", toEpochMillis(now));
    data.set("compressed", static_cast<std::int64_t>(message.wasCompressed ? 1 : 0));
    data.set("documents", order);
    WorkflowStep step;
    std::string detail = "extract " + message.messageId + ": " +
                         std::to_string(message.attachments.size()) + " inline, " +
                         std::to_string(message.externalDocuments.size()) +
                         " external document(s)" + (message.wasCompressed ? ", compressed" : "");
    if (message.externalDocuments.empty()) {
        transfer = withState(std::move(transfer), kExtractReceived, now);
        transfer.deadline.reset();
    } else {
        auto route = m_context.route(transfer.remoteOds, wire::kCommon);
        if (!route) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        data.set("extractPersistMs", persistOf(wire::kEhrExtract, kExtractPersistFallback).count());
        data.set("copcPersistMs", persistOf(wire::kCommon, kCopcPersistFallback).count());
        data.set("copcCount", static_cast<std::int64_t>(message.externalDocuments.size()));
        const std::string continueId = m_context.newId();
        const auto carried = wire::continueMessage(
            m_context.routing(*route, transfer.remoteOds),
            m_context.envelope(transfer.conversationId, continueId), message.messageId);
        auto outbound = m_context.prepare(carried, *route);
        if (!outbound) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        step.outbound.push_back(std::move(*outbound));
        transfer = withState(std::move(transfer), kContinueSent, now);
        transfer.deadline = receiveDeadline(data);
        detail += "; Continue " + continueId;
    }
    transfer.data = data.json();
    step.conversation = transfer;
    step.parts = std::move(updates);
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(
        m_context.audit(transfer.conversationId, "gp2gp-extract-received", detail));
    m_context.logger().information("GP2GP transfer " + transfer.conversationId +
                                   ": extract received");
    return m_context.commit(step);
}

Outcome RequesterWorkflow::onMalformedExtract(const InboundRecord& record,
                                              const std::optional<Conversation>& conversation,
                                              const Error& error) {
    if (!conversation || conversation->role != kRoleRequester) {
        return m_context.giveUp(record,
                                "malformed EHR extract for no known transfer: " + error.describe());
    }
    if (conversation->state != kRequested) {
        return m_context.ignore(record, conversation->conversationId, "gp2gp-duplicate-extract",
                                "malformed extract while the transfer is " + conversation->state);
    }
    Conversation transfer = *conversation;
    transfer.extractMessageId = record.message.messageId;
    return nack(&record, transfer, NackReason::ExtractNotWellFormed,
                "the extract is not well formed: " + error.describe());
}

Outcome RequesterWorkflow::onDocument(const InboundRecord& record,
                                      const wire::InboundGp2gp& message,
                                      const Conversation& conversation) {
    using Kind = wire::InboundGp2gp::Kind;
    if (conversation.role != kRoleRequester) {
        return m_context.giveUp(record, "COPC document for a transfer this practice sends");
    }
    if (!receiving(conversation.state)) {
        return m_context.ignore(record, conversation.conversationId, "gp2gp-document-ignored",
                                "COPC while the transfer is " + conversation.state);
    }
    Conversation transfer = conversation;
    const auto& settings = m_context.settings();
    auto parts = m_context.store().partsOf(transfer.conversationId);
    const ConversationPart* existing = findPart(parts, message.messageId);
    const auto directory = m_context.receivedDir(transfer.conversationId);
    std::vector<ConversationPart> updates;
    TransferData data(transfer.data);
    std::string detail;

    if (message.kind == Kind::FragmentIndex) {
        if (existing != nullptr && existing->kind == kPartFragmentIndex) {
            return m_context.ignore(record, transfer.conversationId, "gp2gp-duplicate-document",
                                    "fragment index " + message.messageId + " again");
        }
        ConversationPart index = existing != nullptr ? *existing : ConversationPart{};
        index.conversationId = transfer.conversationId;
        index.partId = message.messageId;
        index.kind = kPartFragmentIndex;
        index.state = kPartIndexed;
        if (existing == nullptr && message.description) {
            index.filename = message.description->filename;
            index.contentType = message.description->contentType;
            index.description = wire::formatAttachmentDescription(*message.description);
        }
        if (index.expectedBytes < 0 && message.description && message.description->length) {
            index.expectedBytes = static_cast<std::int64_t>(*message.description->length);
        }
        if (index.expectedBytes > 0 &&
            static_cast<std::uint64_t>(index.expectedBytes) > settings.maxAttachmentBytes) {
            return nack(&record, transfer, NackReason::LargeMessageGeneralFailure,
                        "a document is larger than gp2gp.maxAttachmentBytes");
        }
        updates.push_back(index);
        const auto& ids = message.fragmentMessageIds;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const ConversationPart* known = findPart(parts, ids[i]);
            ConversationPart fragment = known != nullptr ? *known : ConversationPart{};
            fragment.conversationId = transfer.conversationId;
            fragment.partId = ids[i];
            fragment.kind = kPartFragment;
            fragment.parentPartId = index.partId;
            fragment.sequence = static_cast<int>(i);
            if (known == nullptr) {
                fragment.state = kPartExpected;
                fragment.filename = wire::fragmentFilename(index.partId, static_cast<int>(i));
                fragment.contentType = index.contentType;
            }
            updates.push_back(fragment);
        }
        data.set("copcCount", data.number("copcCount") + static_cast<std::int64_t>(ids.size()));
        if (transfer.state == kContinueSent) {
            transfer.deadline = receiveDeadline(data);
        }
        detail = "fragment index " + message.messageId + " of " + std::to_string(ids.size()) +
                 " fragment(s)";
    } else {
        if (existing != nullptr && existing->state == kPartReceived) {
            return m_context.ignore(record, transfer.conversationId, "gp2gp-duplicate-document",
                                    "COPC " + message.messageId + " again");
        }
        if (message.attachments.empty()) {
            return nack(&record, transfer, NackReason::LargeMessageGeneralFailure,
                        "COPC " + message.messageId + " carries no document");
        }
        const std::string& bytes = message.attachments.front().body;
        // A fragment listed by an index that arrives in order goes straight to its place in the
        // document; any other document or fragment gets a file of its own. Either way the bytes
        // are synced before the row that names them is committed and the COPC acknowledged.
        auto file = directory / message.messageId;
        AssemblyPoint point;
        const bool listed = existing != nullptr && existing->kind == kPartFragment &&
                            message.kind == Kind::Fragment;
        const auto assembly =
            listed ? assemblyFile(directory, existing->parentPartId) : std::filesystem::path();
        const bool placed = listed && fitsNext(parts, *existing, assembly, point);
        auto written =
            placed ? writeAtSynced(assembly, point.offset, bytes) : writeSynced(file, bytes);
        if (!written) {
            m_context.logger().error("cannot store COPC " + message.messageId + ": " +
                                     written.error().describe());
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        if (placed) {
            file = assembly;
        }
        ConversationPart part = existing != nullptr ? *existing : ConversationPart{};
        part.conversationId = transfer.conversationId;
        part.partId = message.messageId;
        if (message.kind == Kind::Fragment) {
            part.kind = kPartFragment;
            if (existing == nullptr) {
                // Before its index: place it by its own numbering; the index confirms it later.
                part.parentPartId = message.parentMessageId;
                part.sequence = message.fragmentIndex;
                part.filename =
                    wire::fragmentFilename(message.parentMessageId, message.fragmentIndex);
            }
            detail = "fragment " + std::to_string(part.sequence) + " " + message.messageId;
        } else {
            if (existing == nullptr) {
                part.kind = kPartExternal;
                if (message.description) {
                    part.filename = message.description->filename;
                    part.contentType = message.description->contentType;
                    part.description = wire::formatAttachmentDescription(*message.description);
                }
            }
            const auto length = checkableLength(described(part.description));
            if (length && *length != bytes.size()) {
                return nack(&record, transfer, NackReason::LargeMessageReassemblyFailure,
                            "document " + message.messageId + " has " +
                                std::to_string(bytes.size()) + " bytes, its description says " +
                                std::to_string(*length));
            }
            detail = "document " + message.messageId;
        }
        part.state = kPartReceived;
        part.file = file;
        part.expectedBytes = static_cast<std::int64_t>(bytes.size());
        updates.push_back(part);
    }

    auto ack =
        m_context.ack(transfer.conversationId, transfer.remoteOds, message.messageId, std::nullopt);
    if (!ack) {
        m_context.noteRetry();
        return Outcome::Deferred;
    }
    mergeParts(parts, updates);
    countProgress(transfer, parts);
    if (static_cast<std::uint64_t>(transfer.bytesDone) > settings.maxRecordBytes) {
        return nack(&record, transfer, NackReason::LargeMessageGeneralFailure,
                    "the record is larger than gp2gp.maxRecordBytes");
    }
    transfer.data = data.json();
    transfer.updatedAt = m_context.now();
    WorkflowStep step;
    step.conversation = transfer;
    step.parts = std::move(updates);
    step.audit.push_back(m_context.audit(transfer.conversationId, "gp2gp-document-received",
                                         detail + "; AA " + ack->messageId));
    step.outbound.push_back(std::move(*ack));
    step.inboundProcessed.push_back(record.message.messageId);
    return m_context.commit(step);
}

Outcome RequesterWorkflow::onAck(const InboundRecord& record, const wire::InboundGp2gp& message,
                                 const Conversation& conversation) {
    const auto& ack = *message.ack;
    const std::string typeCode(messaging::hl7::toString(ack.typeCode));
    if (ack.typeCode == messaging::hl7::AckTypeCode::AA) {
        return m_context.ignore(record, conversation.conversationId, "gp2gp-ack-received",
                                "AA " + message.messageId + " of " + ack.messageRef);
    }
    const std::string code =
        normalisedCode(ack.details.empty() ? std::string() : ack.details.front().code);
    if (!receiving(conversation.state)) {
        return m_context.ignore(record, conversation.conversationId, "gp2gp-nack-ignored",
                                typeCode + " " + code + " " + message.messageId +
                                    " while the transfer is " + conversation.state);
    }
    WorkflowStep step;
    step.conversation =
        failed(conversation, code, "the sending practice sent a NACK: " + describeCode(code),
               m_context.now());
    step.inboundProcessed.push_back(record.message.messageId);
    step.audit.push_back(
        m_context.audit(conversation.conversationId, "gp2gp-failed",
                        typeCode + " " + code + " " + message.messageId + " of " + ack.messageRef));
    m_context.logger().notice("GP2GP transfer " + conversation.conversationId +
                              ": the sender answered with " + code);
    const Outcome outcome = m_context.commit(step);
    if (outcome == Outcome::Changed) {
        cleanUp(conversation.conversationId);
    }
    return outcome;
}

Outcome RequesterWorkflow::reconcile(const Conversation& conversation) {
    if (conversation.role != kRoleRequester) {
        return Outcome::Unchanged;
    }
    if (conversation.state == kRequested) {
        for (const auto& message : m_context.store().messagesOf(conversation.conversationId)) {
            if (message.messageId == conversation.requestMessageId && ended(message.state)) {
                const std::string text = "the EHR request could not be delivered (" +
                                         std::string(toString(message.state)) + ")";
                WorkflowStep step;
                step.conversation = failed(conversation, wire::twoDigitCode(NackReason::SpineError),
                                           text, m_context.now());
                step.audit.push_back(
                    m_context.audit(conversation.conversationId, "gp2gp-failed", text));
                return m_context.commit(step);
            }
        }
        return Outcome::Unchanged;
    }
    if (conversation.state == kComplete) {
        return closeIfAcknowledged(conversation);
    }
    if (conversation.state != kContinueSent && conversation.state != kExtractReceived) {
        return Outcome::Unchanged;
    }

    auto parts = m_context.store().partsOf(conversation.conversationId);
    std::vector<ConversationPart> updates;
    int assembled = 0;
    const auto indexes = parts; // `parts` changes below as fragments are placed
    for (const auto& part : indexes) {
        if (part.kind != kPartFragmentIndex || part.state != kPartIndexed) {
            continue;
        }
        const FragmentStatus status = fragmentStatus(parts, part.partId);
        if (!status.problem.empty()) {
            return nack(nullptr, conversation, NackReason::LargeMessageReassemblyFailure,
                        status.problem);
        }
        const auto assembly =
            assemblyFile(m_context.receivedDir(conversation.conversationId), part.partId);
        auto placed = placeReceived(parts, part.partId, assembly);
        if (!placed) {
            m_context.logger().error("cannot place fragments of " + part.partId + ": " +
                                     placed.error().describe());
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        mergeParts(parts, *placed);
        mergeParts(updates, *placed);
        if (!status.complete) {
            continue;
        }
        std::optional<std::uint64_t> expected;
        if (part.expectedBytes >= 0) {
            expected = static_cast<std::uint64_t>(part.expectedBytes);
        }
        auto finished = finishAssembly(parts, part.partId, assembly, expected);
        if (!finished) {
            if (finished.error().where == "Length") {
                return nack(nullptr, conversation, NackReason::LargeMessageReassemblyFailure,
                            finished.error().message);
            }
            m_context.logger().error("cannot finish assembling " + part.partId + ": " +
                                     finished.error().describe());
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        ConversationPart whole = part;
        whole.state = kPartReceived;
        whole.file = assembly;
        whole.expectedBytes = static_cast<std::int64_t>(*finished);
        updates.push_back(whole);
        ++assembled;
    }
    mergeParts(parts, updates);

    bool complete = true;
    for (const auto& part : parts) {
        complete = complete && (!isDocument(part) || part.state == kPartReceived);
    }
    if (complete) {
        return import(conversation, std::move(parts), std::move(updates));
    }
    if (updates.empty()) {
        return Outcome::Unchanged;
    }
    Conversation transfer = conversation;
    countProgress(transfer, parts);
    transfer.updatedAt = m_context.now();
    WorkflowStep step;
    step.conversation = transfer;
    step.parts = updates;
    step.audit.push_back(m_context.audit(
        conversation.conversationId,
        assembled > 0 ? "gp2gp-fragments-joined" : "gp2gp-fragments-placed",
        assembled > 0 ? std::to_string(assembled) + " large document(s) assembled"
                      : std::to_string(updates.size()) + " fragment(s) received out of order "
                                                         "moved into place"));
    return m_context.commit(step);
}

Outcome RequesterWorkflow::import(Conversation transfer, std::vector<ConversationPart> parts,
                                  std::vector<ConversationPart> updates) {
    const auto& settings = m_context.settings();
    const TransferData stored(transfer.data);
    std::vector<const ConversationPart*> documents;
    std::set<std::string> listed;
    for (const auto& id : stored.list("documents")) {
        const ConversationPart* part = findPart(parts, id);
        if (part != nullptr && isDocument(*part) && listed.insert(id).second) {
            documents.push_back(part);
        }
    }
    for (const auto& part : parts) {
        if (isDocument(part) && listed.insert(part.partId).second) {
            documents.push_back(&part);
        }
    }
    std::vector<std::string> wanted;
    for (const auto* part : documents) {
        wanted.push_back(part->filename);
    }
    const auto names = uniqueFilenames(wanted);
    std::vector<ImportedDocument> imported;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        imported.push_back(ImportedDocument{documents[i]->file, names[i], documents[i]->filename,
                                            documents[i]->contentType, documents[i]->partId});
    }
    const auto importDir = m_context.importDir();
    const auto target = importDir / transfer.conversationId;
    auto written = writeImportFolder(
        importDir, transfer.conversationId,
        m_context.receivedDir(transfer.conversationId) / kExtractFilename, imported);
    if (!written) {
        m_context.logger().error("cannot write the record of " + transfer.conversationId +
                                 " to the import folder: " + written.error().describe());
        m_context.noteRetry();
        return Outcome::Deferred;
    }
    // From now on the parts point at the imported files; the received copies go.
    std::vector<ConversationPart> moved;
    for (std::size_t i = 0; i < documents.size(); ++i) {
        ConversationPart part = *documents[i];
        part.file = target / names[i];
        moved.push_back(part);
    }
    mergeParts(updates, moved);
    mergeParts(parts, moved);

    const TimePoint now = m_context.now();
    WorkflowStep step;
    TransferData data(transfer.data);
    std::string detail = std::to_string(documents.size()) +
                         " document(s) and the extract written to the import folder";
    if (settings.autoAck) {
        auto ack = m_context.ack(transfer.conversationId, transfer.remoteOds,
                                 transfer.extractMessageId, std::nullopt);
        if (!ack) {
            m_context.noteRetry();
            return Outcome::Deferred;
        }
        data.set("finalAckMessageId", ack->messageId);
        detail += "; final AA " + ack->messageId + " of extract " + transfer.extractMessageId;
        step.outbound.push_back(std::move(*ack));
        transfer = withState(std::move(transfer), kComplete, now);
    } else {
        transfer = withState(std::move(transfer), kAwaitingAck, now);
        detail += "; waiting for the practice to acknowledge";
    }
    transfer.deadline.reset();
    transfer.data = data.json();
    countProgress(transfer, parts);
    step.conversation = transfer;
    step.parts = std::move(updates);
    step.audit.push_back(m_context.audit(transfer.conversationId, "gp2gp-record-imported", detail));
    m_context.logger().notice("GP2GP transfer " + transfer.conversationId +
                              ": record written to the import folder");
    const Outcome outcome = m_context.commit(step);
    if (outcome == Outcome::Changed) {
        cleanUp(transfer.conversationId);
    }
    return outcome;
}

Outcome RequesterWorkflow::closeIfAcknowledged(const Conversation& conversation) {
    TransferData data(conversation.data);
    const std::string finalAck = data.text("finalAckMessageId");
    for (const auto& message : m_context.store().messagesOf(conversation.conversationId)) {
        if (message.messageId != finalAck) {
            continue;
        }
        WorkflowStep step;
        if (message.state == MessageState::Acked) {
            Conversation closed = withState(conversation, kClosed, m_context.now());
            step.conversation = closed;
            step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-closed",
                                                 "final ack " + finalAck + " delivered"));
            const Outcome outcome = m_context.commit(step);
            cleanUp(conversation.conversationId);
            return outcome;
        }
        if (ended(message.state) && data.number("finalAckUndelivered") == 0) {
            // The record is imported; only the sender does not know. Staff see it here and in
            // the outbox, where the message can be retried by hand.
            Conversation noted = conversation;
            noted.errorText = "the final acknowledgement could not be delivered (" +
                              std::string(toString(message.state)) + ")";
            data.set("finalAckUndelivered", static_cast<std::int64_t>(1));
            noted.data = data.json();
            noted.updatedAt = m_context.now();
            step.conversation = noted;
            step.audit.push_back(m_context.audit(conversation.conversationId,
                                                 "gp2gp-final-ack-undelivered", noted.errorText));
            return m_context.commit(step);
        }
    }
    return Outcome::Unchanged;
}

Outcome RequesterWorkflow::onDeadline(const Conversation& conversation) {
    if (conversation.state == kContinueSent) {
        return nack(nullptr, conversation, NackReason::LargeMessageAttachmentsNotReceived,
                    "not every document arrived in time");
    }
    WorkflowStep step;
    if (conversation.state == kRequested) {
        const std::string text = "no EHR extract arrived within gp2gp.finalAckTimeout";
        step.conversation =
            failed(conversation, wire::twoDigitCode(NackReason::OverallTransferTimeout), text,
                   m_context.now());
        step.audit.push_back(m_context.audit(conversation.conversationId, "gp2gp-timed-out", text));
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
