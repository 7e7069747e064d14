#include "ErsSyncClient.hpp"
#include "ErsWorkflow.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/ers/ErsService.hpp>
#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ers/ErsResources.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Logger.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace gp::agent {

namespace {

namespace wire = messaging::ers;

constexpr int kListLimit = 10000;
/// After a pass that could not write (or threw) the worker rests this long before trying again.
constexpr Milliseconds kFailureBackoff{5000};
/// e-RS keeps cancellation comments short; so do we.
constexpr std::size_t kMaxReasonLength = 500;

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent.ers");
}

Status checkLetter(const ErsReferralInput& input) {
    std::error_code error;
    const std::filesystem::path file(input.letterFile);
    if (!std::filesystem::is_regular_file(file, error)) {
        return failure("letterFile", "is not a readable file: " + input.letterFile);
    }
    const auto size = std::filesystem::file_size(file, error);
    if (error) {
        return failure("letterFile", "cannot be read: " + input.letterFile);
    }
    if (size == 0 || size > wire::kMaxAttachmentBytes) {
        return failure("letterFile", "must hold 1 to " + std::to_string(wire::kMaxAttachmentBytes) +
                                         " bytes, not " + std::to_string(size));
    }
    const std::string& type = input.letterContentType;
    if (type.empty() || type.find('/') == std::string::npos ||
        type.find_first_of(" \t\r\n;") != std::string::npos) {
        return failure("letterContentType", "must be a media type such as application/pdf");
    }
    return success();
}

Status checkSpecialty(const std::string& specialty) {
    const bool wellFormed =
        specialty.size() <= 64 && std::all_of(specialty.begin(), specialty.end(), [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        });
    if (!wellFormed) {
        return failure("specialty", "must be an e-RS specialty code such as CARDIOLOGY");
    }
    return success();
}

} // namespace

struct ErsService::Impl {
    Impl(Dependencies dependencies, AgentSettings::Ers ersSettings, std::string odsCode,
         std::filesystem::path letters, std::unique_ptr<HttpTransport> transport)
        : deps(std::move(dependencies)), settings(ersSettings), lettersDir(std::move(letters)),
          workflow(deps.store, deps.clock, deps.random, ersSettings, odsCode),
          reads(std::move(ersSettings), std::move(odsCode), std::move(transport)) {}

    Dependencies deps;
    AgentSettings::Ers settings;
    std::filesystem::path lettersDir;
    ers::ErsWorkflow workflow;
    ers::ErsSyncClient reads;

    std::mutex workMutex; // one decision at a time: the worker and the API share the store

    std::mutex wakeMutex;
    std::condition_variable wake;
    std::uint64_t generation = 0;
    bool stopping = false;
    std::thread worker;

    int runOnce(bool& storeFailed);
    void workerMain();
    void notify() {
        {
            std::lock_guard lock(wakeMutex);
            ++generation;
        }
        wake.notify_all();
    }
    void outboxWork() {
        if (deps.outboxWork) {
            deps.outboxWork();
        }
    }
};

int ErsService::Impl::runOnce(bool& storeFailed) {
    std::lock_guard work(workMutex);
    int changes = 0;
    for (const auto& request : deps.store.activeErsRequests(kListLimit)) {
        auto decision = workflow.advance(request);
        if (!decision) {
            continue;
        }
        const Status applied = deps.store.applyErsStep(*decision);
        if (!applied) {
            logger().error("e-RS request %s not advanced: %s", request.requestId,
                           applied.error().describe());
            storeFailed = true;
            continue;
        }
        logger().information("e-RS request %s: %s", request.requestId, decision->request.state);
        ++changes;
    }
    return changes;
}

void ErsService::Impl::workerMain() {
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
        bool storeFailed = false;
        try {
            // Of instances sharing a store one leads the workflows; the others sleep until woken.
            if (deps.store.leadsWorkflows()) {
                changes = runOnce(storeFailed);
            }
        } catch (const std::exception& e) {
            logger().error(std::string("e-RS pass failed: ") + e.what());
            storeFailed = true;
        }
        if (changes > 0) {
            outboxWork();
            continue; // a request may be ready to move again
        }
        std::unique_lock lock(wakeMutex);
        const auto woken = [&] { return stopping || generation != seen; };
        if (storeFailed) {
            wake.wait_for(lock, kFailureBackoff, woken);
        } else {
            wake.wait(lock, woken);
        }
    }
}

ErsService::ErsService(Dependencies dependencies, AgentSettings::Ers settings, std::string odsCode,
                       std::filesystem::path lettersDir, std::unique_ptr<HttpTransport> transport)
    : m_impl(std::make_unique<Impl>(std::move(dependencies), std::move(settings),
                                    std::move(odsCode), std::move(lettersDir),
                                    std::move(transport))) {}

ErsService::~ErsService() {
    stop();
}

void ErsService::start() {
    std::lock_guard lock(m_impl->wakeMutex);
    if (m_impl->worker.joinable()) {
        return;
    }
    m_impl->stopping = false;
    // Requests left mid-way by a previous run are picked up by the first pass.
    ++m_impl->generation;
    m_impl->worker = std::thread([impl = m_impl.get()] { impl->workerMain(); });
}

void ErsService::stop() {
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

void ErsService::outboundFinished(const MessageRecord& message) {
    if (message.service == ers::kService) {
        m_impl->notify();
    }
}

void ErsService::storeChanged() {
    m_impl->notify();
}

Result<std::string> ErsService::refer(const ErsReferralInput& input, const std::string& actor) {
    // Shape first (the same checks the create message's builder makes), then the letter, then
    // whether e-RS is configured at all.
    auto shape = wire::buildCreateReferral(
        {input.nhsNumber, input.serviceIds, "ROUTINE", !input.letterFile.empty()});
    if (!shape) {
        return shape.error();
    }
    if (!input.letterFile.empty()) {
        if (auto letter = checkLetter(input); !letter) {
            return letter.error();
        }
    }
    if (auto token = ers::readErsToken(m_impl->settings); !token) {
        return token.error();
    }

    ErsRequest request;
    request.requestId = messaging::ids::newUuid(m_impl->deps.random);
    request.nhsNumber = input.nhsNumber;
    request.serviceIds = input.serviceIds;
    request.practice = input.practice;
    if (!input.letterFile.empty()) {
        // The agent keeps its own copy: the clinical system may tidy its file away before the
        // referral exists, and the upload may be retried long after.
        try {
            const std::string bytes = readWholeFile(input.letterFile);
            std::filesystem::create_directories(m_impl->lettersDir);
            request.letterFile = m_impl->lettersDir / (request.requestId + ".letter");
            writeFileAtomically(request.letterFile, bytes, 0600);
            request.letterBytes = static_cast<std::int64_t>(bytes.size());
        } catch (const std::exception& e) {
            return failure("letterFile", std::string("cannot be copied: ") + e.what());
        }
        request.letterTitle = std::filesystem::path(input.letterFile).filename().string();
        request.letterContentType = input.letterContentType;
    }

    Result<std::string> result = failure("", "");
    {
        std::lock_guard work(m_impl->workMutex);
        auto decision = m_impl->workflow.begin(request, actor);
        if (!decision) {
            result = decision.error();
        } else if (auto applied = m_impl->deps.store.applyErsStep(*decision); !applied) {
            result = failure("store", applied.error().describe());
        } else {
            result = request.requestId;
        }
    }
    if (!result) {
        if (!request.letterFile.empty()) {
            std::error_code ignored;
            std::filesystem::remove(request.letterFile, ignored);
        }
        return result;
    }
    logger().information("accepted e-RS request %s", request.requestId);
    m_impl->outboxWork();
    return result;
}

Result<ErsSearchReply> ErsService::searchServices(const ErsServiceQuery& query) {
    if (auto specialty = checkSpecialty(query.specialty); !specialty) {
        return specialty.error();
    }
    auto call = wire::buildServiceSearch({query.nhsNumber, query.specialty, query.priority, ""});
    if (!call) {
        return call.error();
    }
    auto token = ers::readErsToken(m_impl->settings);
    if (!token) {
        return token.error();
    }
    const std::string correlation = messaging::ids::newUuid(m_impl->deps.random) + "-search";
    auto sent = m_impl->reads.send(*call, correlation, *token, query.practice);
    ErsSearchReply reply;
    if (auto* failed = std::get_if<ErsCallFailure>(&sent)) {
        logger().warning("e-RS service search %s: %s", correlation, failed->code);
        reply.failure = std::move(*failed);
        return reply;
    }
    auto services = wire::parseServiceSearch(std::get<HttpResponse>(sent).body);
    if (!services) {
        logger().warning("e-RS service search %s: unreadable reply: %s", correlation,
                         services.error().describe());
        reply.failure = ErsCallFailure{200, false, "unreadable-reply",
                                       "e-RS's list of services could not be read; report it to "
                                       "the gp-agent supplier.",
                                       ""};
        return reply;
    }
    reply.services = std::move(*services);
    return reply;
}

Result<ErsCancelReply> ErsService::cancel(const std::string& requestId, const std::string& reason,
                                          const std::string& actor) {
    if (reason.size() > kMaxReasonLength) {
        return failure("reason", "must be at most " + std::to_string(kMaxReasonLength) +
                                     " characters, not " + std::to_string(reason.size()));
    }
    // Why a request cannot be cancelled, or nothing when it can.
    const auto refusal = [](const ErsRequest& request) -> std::optional<Error> {
        if (request.state == ers::kFailed) {
            return failure("state",
                           "the request failed; there is no referral to cancel here" +
                               std::string(request.ubrn.empty()
                                               ? ""
                                               : " (cancel " + request.ubrn + " in e-RS)"));
        }
        if (request.ubrn.empty()) {
            return failure("state", "e-RS has not created the referral yet (state " +
                                        request.state + "); try again when it has");
        }
        if (request.state != ers::kComplete && request.state != ers::kCancelling &&
            request.state != ers::kCancelled) {
            return failure("state", "the request is still in progress (state " + request.state +
                                        "); try again when it is complete");
        }
        return std::nullopt;
    };
    auto found = m_impl->deps.store.findErsRequest(requestId);
    if (!found) {
        return failure("requestId", "no e-RS request " + requestId);
    }
    if (auto refused = refusal(*found)) {
        return *refused;
    }
    if (found->state != ers::kComplete) {
        return ErsCancelReply{found->state, std::nullopt}; // asked before: nothing more to do
    }
    auto token = ers::readErsToken(m_impl->settings);
    if (!token) {
        return token.error();
    }
    std::string version = found->version;
    if (version.empty()) {
        // Found by a lookup after a lost create: the worklist gives no version, and If-Match
        // needs one. Read it now rather than queue a cancel that is bound to be refused.
        auto call = wire::buildGetReferral(found->ubrn);
        if (!call) {
            return call.error();
        }
        auto sent = m_impl->reads.send(*call, requestId + "-version", *token, found->practice);
        if (auto* failed = std::get_if<ErsCallFailure>(&sent)) {
            return ErsCancelReply{found->state, std::move(*failed)};
        }
        const auto& response = std::get<HttpResponse>(sent);
        auto referral =
            wire::parseReferralRequest(response.body, response.header("ETag").value_or(""));
        if (!referral) {
            return ErsCancelReply{found->state,
                                  ErsCallFailure{response.status, false, "unreadable-reply",
                                                 "e-RS's copy of the referral could not be read; "
                                                 "report it to the gp-agent supplier.",
                                                 ""}};
        }
        version = referral->version;
    }

    Result<ErsCancelReply> result = failure("", "");
    {
        std::lock_guard work(m_impl->workMutex);
        // Read again under the lock: another cancel may have been queued meanwhile.
        auto current = m_impl->deps.store.findErsRequest(requestId);
        if (!current) {
            return failure("requestId", "no e-RS request " + requestId);
        }
        if (auto refused = refusal(*current)) {
            return *refused;
        }
        if (current->state != ers::kComplete) {
            return ErsCancelReply{current->state, std::nullopt};
        }
        if (current->version.empty()) {
            current->version = version;
        }
        auto decision = m_impl->workflow.cancel(*current, reason, actor);
        if (!decision) {
            result = decision.error();
        } else if (auto applied = m_impl->deps.store.applyErsStep(*decision); !applied) {
            result = failure("store", applied.error().describe());
        } else {
            result = ErsCancelReply{std::string(ers::kCancelling), std::nullopt};
        }
    }
    if (result) {
        logger().information("e-RS request %s: cancel queued", requestId);
        m_impl->outboxWork();
    }
    return result;
}

int ErsService::runOnce() {
    bool storeFailed = false;
    const int changes = m_impl->runOnce(storeFailed);
    if (changes > 0) {
        m_impl->outboxWork();
    }
    return changes;
}

} // namespace gp::agent
