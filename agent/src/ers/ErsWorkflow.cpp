#include "ErsWorkflow.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/TimeFormat.hpp>
#include <gp/messaging/ers/ErsResources.hpp>
#include <gp/messaging/ers/OperationOutcome.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Logger.h>

#include <algorithm>
#include <set>

namespace gp::agent::ers {

namespace {

namespace wire = messaging::ers;

// e-RS's clock and ours differ a little; a referral created this long before we asked still
// counts as possibly ours when e-RS does not echo correlation ids.
constexpr Milliseconds kClockSlack{5 * 60 * 1000};

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.ers");
}

std::string trim(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

std::optional<TimePoint> parseIso(const std::string& text) {
    try {
        int zone = 0;
        const Poco::DateTime parsed =
            Poco::DateTimeParser::parse(Poco::DateTimeFormat::ISO8601_FRAC_FORMAT, text, zone);
        const auto micros =
            parsed.timestamp().epochMicroseconds() - static_cast<Poco::Int64>(zone) * 1'000'000;
        return TimePoint(std::chrono::microseconds(micros));
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

// "/referrals/FHIR/STU3/Binary/att-1" or "Binary/att-1" -> "Binary/att-1"
std::string binaryReference(const std::string& location) {
    const auto at = location.rfind("Binary/");
    if (at == std::string::npos || at + 7 >= location.size()) {
        return {};
    }
    return location.substr(at);
}

bool isFinal(MessageState state) {
    return state == MessageState::Acked || state == MessageState::Failed ||
           state == MessageState::Expired;
}

void forgetLetter(const ErsRequest& request) {
    if (request.letterFile.empty()) {
        return;
    }
    std::error_code ignored;
    std::filesystem::remove(request.letterFile, ignored);
}

} // namespace

/// The step that just finished and what its message's end was.
struct ErsWorkflow::Finished {
    ErsStepRecord step;
    MessageRecord message;
    std::optional<StoredReply> reply;

    bool acked() const { return message.state == MessageState::Acked; }
    std::string code() const {
        if (message.state == MessageState::Expired) {
            return "expired";
        }
        return message.lastError ? message.lastError->code : std::string("failed");
    }
    /// What staff are told about a failed step.
    std::string text() const {
        if (message.state == MessageState::Expired) {
            return "e-RS could not be reached within ers.persistDuration" +
                   (message.lastError ? " (last: " + message.lastError->text + ")" : std::string());
        }
        if (code() == "outcome-unknown") {
            return "The reply was lost (timeout or dropped connection), so e-RS may or may not "
                   "have acted on this call.";
        }
        if (reply && reply->status >= 400) {
            return wire::staffMessageForBody(reply->status, reply->body).text;
        }
        return message.lastError ? message.lastError->text : std::string("failed");
    }
};

std::vector<std::pair<std::string, std::string>> ersHeaders(const AgentSettings::Ers& settings,
                                                            const std::string& odsCode,
                                                            const std::string& correlationId,
                                                            const std::string& token) {
    return {{"Authorization", "Bearer " + token},
            {std::string(wire::kBusinessFunctionHeader), settings.businessFunction},
            {std::string(wire::kOdsHeader), odsCode},
            {std::string(wire::kCorrelationHeader), correlationId},
            {"Accept", std::string(wire::kFhirJson)}};
}

Result<std::string> readErsToken(const AgentSettings::Ers& settings) {
    if (settings.tokenFile.empty()) {
        return failure("ers", "e-RS is not configured: set ers.tokenFile");
    }
    try {
        auto token = trim(readWholeFile(settings.tokenFile));
        if (token.empty()) {
            return failure("ers", "ers.tokenFile " + settings.tokenFile.string() + " is empty");
        }
        return token;
    } catch (const std::exception&) {
        return failure("ers", "cannot read ers.tokenFile " + settings.tokenFile.string());
    }
}

ErsWorkflow::ErsWorkflow(Store& store, const Clock& clock, messaging::ids::RandomSource& random,
                         AgentSettings::Ers settings, std::string odsCode)
    : m_store(store), m_clock(clock), m_random(random), m_settings(std::move(settings)),
      m_odsCode(std::move(odsCode)) {}

std::string ErsWorkflow::correlationId(const ErsRequest& request, const std::string& step,
                                       int number) const {
    // Unique per request and step, and the request id stays findable in e-RS's logs and the
    // mock's journal.
    return request.requestId + "-" + step + "-" + std::to_string(number);
}

OutboundMessage ErsWorkflow::message(const ErsRequest& request, const std::string& step,
                                     const wire::FhirRequest& call, const std::string& correlation,
                                     std::vector<std::pair<std::string, std::string>> extraHeaders,
                                     bool idempotent, const std::string& token) const {
    OutboundMessage out;
    out.messageId = messaging::ids::newUuid(m_random);
    out.conversationId = request.requestId;
    out.interaction = step == "create"   ? "A011"
                      : step == "lookup" ? "A008"
                      : step == "upload" ? "A020"
                      : step == "attach" ? "A012"
                      : step == "cancel" ? "A036"
                                         : "A005";
    out.service = std::string(kService);
    out.businessId = request.requestId;
    out.endpoint = m_settings.url + call.path;
    out.contentType = call.contentType;
    out.body = call.body;
    out.createdAt = m_clock.now();
    out.expiresAt = out.createdAt + m_settings.persistDuration;
    // e-RS asks clients to back off from 1 s (PROTOCOL.md §4), whatever retry.baseDelay says.
    out.retryInterval = Milliseconds(1000);
    out.kind = "fhir";
    out.method = call.method;
    // Every call of a request is made as the practice that made it.
    const std::string& odsCode = request.practice.empty() ? m_odsCode : request.practice;
    out.headers = ersHeaders(m_settings, odsCode, correlation, token);
    out.practice = odsCode;
    for (auto& header : extraHeaders) {
        out.headers.push_back(std::move(header));
    }
    out.idempotent = idempotent;
    return out;
}

Result<ErsWorkflowStep> ErsWorkflow::begin(ErsRequest request, const std::string& actor) {
    auto token = readErsToken(m_settings);
    if (!token) {
        return token.error();
    }
    auto call = wire::buildCreateReferral(
        {request.nhsNumber, request.serviceIds, "ROUTINE", !request.letterFile.empty()});
    if (!call) {
        return call.error();
    }
    request.state = std::string(kCreating);
    request.createAttempts = 1;
    ErsStepRecord step;
    step.requestId = request.requestId;
    step.seq = 1;
    step.step = "create";
    step.correlationId = correlationId(request, "create", 1);
    step.state = std::string(kStepQueued);
    auto out = message(request, "create", *call, step.correlationId, {}, false, *token);
    step.messageId = out.messageId;

    ErsWorkflowStep decision;
    decision.request = std::move(request);
    decision.steps.push_back(step);
    decision.outbound.push_back(std::move(out));
    decision.audit.push_back({actor, "ers-requested", step.messageId,
                              "e-RS request " + decision.request.requestId + ", " +
                                  std::to_string(decision.request.serviceIds.size()) +
                                  " service(s)" +
                                  (decision.request.letterFile.empty() ? "" : ", with a letter") +
                                  ", practice " + decision.outbound.back().practice});
    return decision;
}

ErsWorkflowStep ErsWorkflow::finish(ErsRequest request, const Finished& done,
                                    std::string_view state, const std::string& code,
                                    const std::string& text) {
    ErsWorkflowStep decision;
    ErsStepRecord step = done.step;
    const bool ok = state == kComplete;
    step.state = std::string(ok || done.acked() ? kStepDone : kStepFailed);
    if (step.code.empty()) {
        step.code = done.acked() ? std::to_string(done.reply ? done.reply->status : 200) : code;
    }
    if (step.text.empty()) {
        step.text = done.acked() ? "done" : text;
    }
    request.state = std::string(state);
    if (!ok) {
        request.errorCode = code;
        request.errorText = text;
    }
    if (request.binaryUrl.empty()) {
        // The letter will never be uploaded now; the agent's copy has no further use.
        forgetLetter(request);
    }
    decision.audit.push_back({"ers", ok ? "ers-complete" : "ers-failed", done.message.messageId,
                              "e-RS request " + request.requestId +
                                  (request.ubrn.empty() ? "" : ", UBRN " + request.ubrn) +
                                  (ok ? "" : ", code " + code)});
    decision.request = std::move(request);
    decision.steps.push_back(std::move(step));
    return decision;
}

ErsWorkflowStep ErsWorkflow::next(ErsRequest request, const Finished& done,
                                  const std::string& stepName, const wire::FhirRequest& call,
                                  std::vector<std::pair<std::string, std::string>> extraHeaders,
                                  bool idempotent, std::string_view state) {
    auto token = readErsToken(m_settings);
    if (!token) {
        return finish(std::move(request), done, kFailed, "ers-token", token.error().message);
    }
    ErsStepRecord finished = done.step;
    finished.state = std::string(done.acked() ? kStepDone : kStepFailed);
    if (finished.code.empty()) {
        finished.code =
            done.acked() ? std::to_string(done.reply ? done.reply->status : 200) : done.code();
    }
    if (finished.text.empty()) {
        finished.text = done.acked() ? "done" : done.text();
    }

    const auto existing = m_store.ersStepsOf(request.requestId);
    const int sameKind = static_cast<int>(std::count_if(
        existing.begin(), existing.end(), [&](const auto& s) { return s.step == stepName; }));
    ErsStepRecord step;
    step.requestId = request.requestId;
    step.seq = done.step.seq + 1;
    step.step = stepName;
    step.correlationId = correlationId(request, stepName, sameKind + 1);
    step.state = std::string(kStepQueued);
    wire::FhirRequest sent = call;
    if (stepName == "lookup") {
        // spine-mock narrows the worklist to the referrals made under this correlation id; e-RS
        // ignores what it does not know and the entries are matched below either way.
        const auto lastCreate = std::find_if(existing.rbegin(), existing.rend(),
                                             [](const auto& s) { return s.step == "create"; });
        if (lastCreate != existing.rend()) {
            sent.path += "?correlationId=" + lastCreate->correlationId;
        }
    }
    auto out = message(request, stepName, sent, step.correlationId, std::move(extraHeaders),
                       idempotent, *token);
    step.messageId = out.messageId;
    request.state = std::string(state);

    ErsWorkflowStep decision;
    decision.audit.push_back({"ers", "ers-step", out.messageId,
                              "e-RS request " + request.requestId + ": " + done.step.step + " " +
                                  finished.state + " (" + finished.code + "), then " + stepName});
    decision.request = std::move(request);
    decision.steps.push_back(std::move(finished));
    decision.steps.push_back(std::move(step));
    decision.outbound.push_back(std::move(out));
    return decision;
}

std::optional<ErsWorkflowStep> ErsWorkflow::advance(const ErsRequest& request) {
    const auto steps = m_store.ersStepsOf(request.requestId);
    if (steps.empty() || steps.back().state != kStepQueued) {
        return std::nullopt;
    }
    Finished done;
    done.step = steps.back();
    auto message = m_store.findMessage(done.step.messageId);
    if (!message || !isFinal(message->state)) {
        return std::nullopt;
    }
    done.message = std::move(*message);
    done.reply = m_store.replyOf(done.step.messageId);
    const std::string& kind = done.step.step;
    if (kind == "create") {
        return afterCreate(request, done);
    }
    if (kind == "lookup") {
        return afterLookup(request, done);
    }
    if (kind == "upload") {
        return afterUpload(request, done);
    }
    if (kind == "attach") {
        return afterAttach(request, done);
    }
    if (kind == "cancel") {
        return afterCancel(request, done);
    }
    if (request.state == kCancelling) {
        return afterCancelReread(request, done);
    }
    return afterReread(request, done);
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterCreate(const ErsRequest& request,
                                                        const Finished& done) {
    if (done.acked()) {
        auto referral = done.reply ? wire::parseReferralRequest(done.reply->body, done.reply->etag)
                                   : Result<wire::ReferralRequest>(failure("", "no reply kept"));
        if (referral) {
            ErsRequest updated = request;
            updated.ubrn = referral->ubrn;
            updated.version = referral->version;
            Finished noted = done;
            noted.step.code = std::to_string(done.reply->status);
            noted.step.text = "referral " + referral->ubrn + " created";
            return continueWithLetter(std::move(updated), noted);
        }
        // Created, but we cannot tell which referral: find it as if the reply had been lost.
        logger().warning("e-RS request %s: create reply unreadable (%s); looking it up",
                         request.requestId, referral.error().describe());
        Finished noted = done;
        noted.step.code = "unreadable-reply";
        noted.step.text = "e-RS created the referral but its reply could not be read";
        return next(request, noted, "lookup", wire::buildFetchWorklist(), {}, true, kLookingUp);
    }
    if (done.code() == "outcome-unknown") {
        return next(request, done, "lookup", wire::buildFetchWorklist(), {}, true, kLookingUp);
    }
    return finish(request, done, kFailed, done.code(), done.text());
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterLookup(const ErsRequest& request,
                                                        const Finished& done) {
    if (!done.acked()) {
        return finish(request, done, kFailed, "outcome-unknown",
                      "A create's reply was lost and e-RS could not be asked whether the "
                      "referral exists (" +
                          done.text() + "); check e-RS before referring again.");
    }
    auto entries = wire::parseWorklist(done.reply ? done.reply->body : std::string());
    if (!entries) {
        return finish(request, done, kFailed, "outcome-unknown",
                      "A create's reply was lost and e-RS's worklist could not be read; check "
                      "e-RS before referring again.");
    }
    std::set<std::string> ours;
    for (const auto& step : m_store.ersStepsOf(request.requestId)) {
        if (step.step == "create") {
            ours.insert(step.correlationId);
        }
    }
    std::vector<std::string> found;
    const bool echoes = std::any_of(entries->begin(), entries->end(),
                                    [](const auto& e) { return !e.correlationId.empty(); });
    for (const auto& entry : *entries) {
        if (echoes) {
            if (ours.count(entry.correlationId) > 0) {
                found.push_back(entry.ubrn);
            }
            continue;
        }
        // e-RS itself keeps no correlation id: a new referral for this patient that no other
        // request of ours holds is the one the lost create made.
        const auto created = parseIso(entry.createdAt);
        const auto holder = m_store.findErsRequestByUbrn(entry.ubrn);
        if (entry.nhsNumber == request.nhsNumber && created &&
            *created + kClockSlack >= request.createdAt &&
            (!holder || holder->requestId == request.requestId)) {
            found.push_back(entry.ubrn);
        }
    }
    if (found.size() > 1) {
        return finish(request, done, kFailed, "ambiguous",
                      "e-RS holds " + std::to_string(found.size()) +
                          " new referrals that may be this one; check e-RS and cancel any "
                          "duplicate.");
    }
    if (found.empty()) {
        Finished noted = done;
        noted.step.code = "not-found";
        noted.step.text = "e-RS has no referral from the lost create; creating it again";
        return createAgain(request, noted);
    }
    ErsRequest updated = request;
    updated.ubrn = found.front();
    updated.version.clear(); // the worklist carries no version: re-read before attaching
    Finished noted = done;
    noted.step.code = "found";
    noted.step.text = "the lost create made referral " + updated.ubrn;
    return continueWithLetter(std::move(updated), noted);
}

ErsWorkflowStep ErsWorkflow::createAgain(ErsRequest request, const Finished& done) {
    if (request.createAttempts >= kMaxCreateAttempts) {
        return finish(std::move(request), done, kFailed, "outcome-unknown",
                      "e-RS did not answer " + std::to_string(kMaxCreateAttempts) +
                          " creates in a row; check e-RS before referring again.");
    }
    auto call = wire::buildCreateReferral(
        {request.nhsNumber, request.serviceIds, "ROUTINE", !request.letterFile.empty()});
    if (!call) {
        return finish(std::move(request), done, kFailed, "invalid", call.error().describe());
    }
    request.createAttempts += 1;
    return next(std::move(request), done, "create", *call, {}, false, kCreating);
}

ErsWorkflowStep ErsWorkflow::continueWithLetter(ErsRequest request, const Finished& done) {
    if (request.letterFile.empty()) {
        return finish(std::move(request), done, kComplete, "", "");
    }
    if (request.binaryUrl.empty()) {
        auto call = wire::buildUploadAttachment(request.letterContentType);
        if (!call) {
            return finish(std::move(request), done, kFailed, "invalid", call.error().describe());
        }
        // The file is streamed from the agent's copy (OutboundMessage.bodyFile below).
        ErsWorkflowStep decision = next(
            request, done, "upload", *call,
            {{"NHSD-eRS-File-Name", request.letterTitle}, {"NHSD-eRS-Referral-ID", request.ubrn}},
            true, kUploading);
        for (auto& out : decision.outbound) {
            out.bodyFile = request.letterFile;
        }
        return decision;
    }
    if (request.version.empty()) {
        auto call = wire::buildGetReferral(request.ubrn);
        if (!call) {
            return finish(std::move(request), done, kFailed, "invalid", call.error().describe());
        }
        return next(std::move(request), done, "reread", *call, {}, true, kAttaching);
    }
    wire::ReferralLetter letter;
    letter.ubrn = request.ubrn;
    letter.binaryUrl = request.binaryUrl;
    letter.title = request.letterTitle;
    letter.contentType = request.letterContentType;
    letter.size = static_cast<std::uint64_t>(request.letterBytes);
    letter.indexedAt = formatIsoTime(m_clock.now());
    auto call = wire::buildMaintainReferralLetter(letter);
    if (!call) {
        return finish(std::move(request), done, kFailed, "invalid", call.error().describe());
    }
    request.attachAttempts += 1;
    const std::string version = request.version;
    return next(std::move(request), done, "attach", *call, {{"If-Match", wire::ifMatch(version)}},
                true, kAttaching);
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterUpload(const ErsRequest& request,
                                                        const Finished& done) {
    if (!done.acked()) {
        return finish(request, done, kFailed, done.code(),
                      "Referral " + request.ubrn +
                          " was created but the letter could not be uploaded: " + done.text());
    }
    const std::string binary = binaryReference(done.reply ? done.reply->location : "");
    if (binary.empty()) {
        return finish(request, done, kFailed, "no-location",
                      "Referral " + request.ubrn +
                          " was created but e-RS did not say where the letter was stored.");
    }
    ErsRequest updated = request;
    updated.binaryUrl = binary;
    Finished noted = done;
    noted.step.code = std::to_string(done.reply->status);
    noted.step.text = "letter stored as " + binary;
    return continueWithLetter(std::move(updated), noted);
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterAttach(const ErsRequest& request,
                                                        const Finished& done) {
    if (done.acked()) {
        ErsRequest updated = request;
        if (done.reply) {
            if (auto referral = wire::parseReferralRequest(done.reply->body, done.reply->etag)) {
                updated.version = referral->version;
            }
        }
        Finished noted = done;
        noted.step.text = "letter attached";
        return finish(std::move(updated), noted, kComplete, "", "");
    }
    const std::string code = done.code();
    if ((code == "http-409" || code == "http-423") && request.attachAttempts < kMaxAttachAttempts) {
        auto call = wire::buildGetReferral(request.ubrn);
        if (call) {
            return next(request, done, "reread", *call, {}, true, kAttaching);
        }
    }
    return finish(request, done, kFailed, code,
                  "Referral " + request.ubrn +
                      " was created but the letter was not attached: " + done.text());
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterReread(const ErsRequest& request,
                                                        const Finished& done) {
    if (!done.acked()) {
        return finish(request, done, kFailed, done.code(),
                      "Referral " + request.ubrn + " could not be re-read: " + done.text());
    }
    auto referral = wire::parseReferralRequest(done.reply ? done.reply->body : std::string(),
                                               done.reply ? done.reply->etag : std::string());
    if (!referral) {
        return finish(request, done, kFailed, "unreadable-reply",
                      "Referral " + request.ubrn +
                          " could not be re-read: " + referral.error().describe());
    }
    ErsRequest updated = request;
    updated.version = referral->version;
    Finished noted = done;
    noted.step.code = std::to_string(done.reply->status);
    noted.step.text = "version " + referral->version;
    // An attach whose reply was lost may have worked: the letter is there, nothing to redo.
    const auto attached =
        std::any_of(referral->attachments.begin(), referral->attachments.end(), [&](const auto& a) {
            return !updated.binaryUrl.empty() && binaryReference(a.url) == updated.binaryUrl;
        });
    if (attached) {
        noted.step.text += ", letter already attached";
        return finish(std::move(updated), noted, kComplete, "", "");
    }
    if (updated.attachAttempts >= kMaxAttachAttempts) {
        return finish(std::move(updated), noted, kFailed, "attach-retries-exhausted",
                      "Referral " + request.ubrn + " was created but the letter could not be " +
                          "attached after " + std::to_string(kMaxAttachAttempts) +
                          " tries (the referral kept changing or stayed locked).");
    }
    return continueWithLetter(std::move(updated), noted);
}

} // namespace gp::agent::ers

namespace gp::agent::ers {

namespace {

int countSteps(const std::vector<ErsStepRecord>& steps, std::string_view kind) {
    return static_cast<int>(
        std::count_if(steps.begin(), steps.end(), [&](const auto& s) { return s.step == kind; }));
}

} // namespace

Result<ErsWorkflowStep> ErsWorkflow::cancel(ErsRequest request, const std::string& reason,
                                            const std::string& actor) {
    auto token = readErsToken(m_settings);
    if (!token) {
        return token.error();
    }
    wire::CancelReferral cancel;
    cancel.ubrn = request.ubrn;
    cancel.comments = reason;
    auto call = wire::buildCancelReferral(cancel);
    if (!call) {
        return call.error();
    }
    const auto existing = m_store.ersStepsOf(request.requestId);
    ErsStepRecord step;
    step.requestId = request.requestId;
    step.seq = existing.empty() ? 1 : existing.back().seq + 1;
    step.step = "cancel";
    step.correlationId = correlationId(request, "cancel", countSteps(existing, "cancel") + 1);
    step.state = std::string(kStepQueued);
    step.text = reason; // kept here, durably, in case the cancel has to be sent again
    // A cancel sent again after a lost reply meets a stale If-Match (409) and is settled by the
    // re-read, so it may be retried like any update.
    auto out = message(request, "cancel", *call, step.correlationId,
                       {{"If-Match", wire::ifMatch(request.version)}}, true, *token);
    step.messageId = out.messageId;
    request.state = std::string(kCancelling);
    request.errorCode.clear();
    request.errorText.clear();

    ErsWorkflowStep decision;
    decision.audit.push_back({actor, "ers-cancel-requested", step.messageId,
                              "e-RS request " + request.requestId + ", UBRN " + request.ubrn});
    decision.request = std::move(request);
    decision.steps.push_back(std::move(step));
    decision.outbound.push_back(std::move(out));
    return decision;
}

ErsWorkflowStep ErsWorkflow::settleCancel(ErsRequest request, const Finished& done, bool cancelled,
                                          const std::string& code, const std::string& text) {
    ErsStepRecord step = done.step;
    step.state = std::string(done.acked() ? kStepDone : kStepFailed);
    if (step.code.empty()) {
        step.code = done.acked() ? std::to_string(done.reply ? done.reply->status : 200) : code;
    }
    if (step.text.empty()) {
        step.text = done.acked() ? "done" : text;
    }
    // A cancel that did not work leaves the referral as it was: complete, and cancellable again.
    request.state = std::string(cancelled ? kCancelled : kComplete);
    request.errorCode = cancelled ? std::string() : code;
    request.errorText = cancelled ? std::string() : text;
    ErsWorkflowStep decision;
    decision.audit.push_back({"ers", cancelled ? "ers-cancelled" : "ers-cancel-failed",
                              done.message.messageId,
                              "e-RS request " + request.requestId + ", UBRN " + request.ubrn +
                                  (cancelled ? "" : ", code " + code)});
    decision.request = std::move(request);
    decision.steps.push_back(std::move(step));
    return decision;
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterCancel(const ErsRequest& request,
                                                        const Finished& queued) {
    // A queued cancel's text is its reason; once it has an outcome, the text says that instead.
    const std::string reason = queued.step.text;
    Finished done = queued;
    done.step.text.clear();
    if (done.acked()) {
        ErsRequest updated = request;
        if (done.reply) {
            if (auto referral = wire::parseReferralRequest(done.reply->body, done.reply->etag)) {
                updated.version = referral->version;
            }
        }
        Finished noted = done;
        noted.step.text = "referral cancelled";
        return settleCancel(std::move(updated), noted, true, "", "");
    }
    const std::string code = done.code();
    const int cancels = countSteps(m_store.ersStepsOf(request.requestId), "cancel");
    // 409/423: the version moved or someone holds the referral. INVALID_REQUEST_STATE: it may
    // already be cancelled (an earlier cancel whose reply was lost). A re-read settles each.
    const bool reread = code == "http-409" || code == "http-423" || code == "INVALID_REQUEST_STATE";
    if (reread && cancels < kMaxCancelAttempts) {
        if (auto call = wire::buildGetReferral(request.ubrn)) {
            auto decision = next(request, done, "reread", *call, {}, true, kCancelling);
            decision.steps.back().text = reason;
            return decision;
        }
    }
    return settleCancel(request, done, false, code,
                        "Referral " + request.ubrn + " was not cancelled: " + done.text());
}

std::optional<ErsWorkflowStep> ErsWorkflow::afterCancelReread(const ErsRequest& request,
                                                              const Finished& queued) {
    // The re-read carries the cancel's reason while it is queued, as the cancel did.
    const std::string reason = queued.step.text;
    Finished done = queued;
    done.step.text.clear();
    if (!done.acked()) {
        return settleCancel(request, done, false, done.code(),
                            "Referral " + request.ubrn +
                                " could not be re-read to cancel it: " + done.text());
    }
    auto referral = wire::parseReferralRequest(done.reply ? done.reply->body : std::string(),
                                               done.reply ? done.reply->etag : std::string());
    if (!referral) {
        return settleCancel(request, done, false, "unreadable-reply",
                            "Referral " + request.ubrn + " could not be re-read to cancel it: " +
                                referral.error().describe());
    }
    ErsRequest updated = request;
    updated.version = referral->version;
    Finished noted = done;
    noted.step.code = std::to_string(done.reply->status);
    noted.step.text = "version " + referral->version;
    if (referral->status == "cancelled") {
        noted.step.text += ", already cancelled";
        return settleCancel(std::move(updated), noted, true, "", "");
    }
    const auto steps = m_store.ersStepsOf(request.requestId);
    const auto lastCancel = std::find_if(steps.rbegin(), steps.rend(),
                                         [](const auto& s) { return s.step == "cancel"; });
    if (lastCancel == steps.rend()) {
        return settleCancel(std::move(updated), noted, false, "invalid",
                            "Referral " + request.ubrn + " has no cancel to send again.");
    }
    if (lastCancel->code == "INVALID_REQUEST_STATE") {
        return settleCancel(std::move(updated), noted, false, lastCancel->code,
                            "Referral " + request.ubrn + " was not cancelled: e-RS says it can " +
                                "no longer be changed (status " + referral->status + ").");
    }
    if (countSteps(steps, "cancel") >= kMaxCancelAttempts) {
        return settleCancel(std::move(updated), noted, false, "cancel-retries-exhausted",
                            "Referral " + request.ubrn + " was not cancelled after " +
                                std::to_string(kMaxCancelAttempts) +
                                " tries (the referral kept changing or stayed locked).");
    }
    // The same cancel again, with the new version.
    auto call = wire::buildCancelReferral({request.ubrn, "NO_LONGER_REQUIRED", "", reason});
    if (!call) {
        return settleCancel(std::move(updated), noted, false, "invalid", call.error().describe());
    }
    const std::string version = updated.version;
    auto decision = next(std::move(updated), noted, "cancel", *call,
                         {{"If-Match", wire::ifMatch(version)}}, true, kCancelling);
    decision.steps.back().text = reason;
    return decision;
}

} // namespace gp::agent::ers
