#include "ErsWorkflow.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/ers/ErsService.hpp>
#include <gp/messaging/ers/ErsRequests.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Logger.h>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace gp::agent {

namespace {

namespace wire = messaging::ers;

constexpr int kListLimit = 10000;
/// After a pass that could not write (or threw) the worker rests this long before trying again.
constexpr Milliseconds kFailureBackoff{5000};

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

} // namespace

struct ErsService::Impl {
    Impl(Dependencies dependencies, AgentSettings::Ers ersSettings, std::string odsCode,
         std::filesystem::path letters)
        : deps(std::move(dependencies)), settings(ersSettings), lettersDir(std::move(letters)),
          workflow(deps.store, deps.clock, deps.random, std::move(ersSettings),
                   std::move(odsCode)) {}

    Dependencies deps;
    AgentSettings::Ers settings;
    std::filesystem::path lettersDir;
    ers::ErsWorkflow workflow;

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
            changes = runOnce(storeFailed);
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
                       std::filesystem::path lettersDir)
    : m_impl(std::make_unique<Impl>(std::move(dependencies), std::move(settings),
                                    std::move(odsCode), std::move(lettersDir))) {}

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

int ErsService::runOnce() {
    bool storeFailed = false;
    const int changes = m_impl->runOnce(storeFailed);
    if (changes > 0) {
        m_impl->outboxWork();
    }
    return changes;
}

} // namespace gp::agent
