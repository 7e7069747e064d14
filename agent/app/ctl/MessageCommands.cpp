#include "Commands.hpp"

#include <iostream>

namespace gp::agent::ctl {

std::optional<int> showMessage(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const auto fetched = fetch(ctx, "/v1/messages/" + args[0]);
    if (!fetched.object) {
        return fetched.exitCode;
    }
    const auto& message = fetched.object;
    std::cout << "message      " << textOf(message, "messageId") << "\n"
              << "interaction  " << textOf(message, "interaction") << "\n"
              << "business id  " << textOf(message, "businessId") << "\n"
              << "state        " << textOf(message, "state") << "\n"
              << "attempts     " << textOf(message, "attempts") << "\n"
              << "next attempt " << textOf(message, "nextAttemptAt") << "\n"
              << "expires      " << textOf(message, "expiresAt") << "\n";
    if (auto error = message->getObject("lastError")) {
        std::cout << "last error   " << textOf(error, "code") << ": " << textOf(error, "text")
                  << "\n";
    }
    std::cout << "history:\n";
    forEachObject(message->getArray("history"), [](const Object::Ptr& row) {
        std::cout << "  " << textOf(row, "at") << "  " << textOf(row, "event") << "  "
                  << textOf(row, "detail") << "\n";
    });
    return kOk;
}

std::optional<int> status(const Context& ctx, const Args& args) {
    if (!args.empty()) {
        return std::nullopt;
    }
    const auto fetched = fetch(ctx, "/v1/status");
    if (!fetched.object) {
        return fetched.exitCode;
    }
    const auto& summary = fetched.object;
    auto counts = summary->getObject("counts");
    for (const char* state : {"queued", "sending", "retry-wait", "acked", "failed", "expired"}) {
        std::cout << state << ": " << textOf(counts, state) << "\n";
    }
    std::cout << "oldest queued (s): " << textOf(summary, "oldestQueuedAgeSeconds") << "\n"
              << "last acknowledged: " << textOf(summary, "lastAckedAt") << "\n";
    if (auto error = summary->getObject("lastTransportError")) {
        std::cout << "last transport error: " << textOf(error, "code") << " at "
                  << textOf(error, "at") << ": " << textOf(error, "text") << "\n";
    }
    // Only when the store cannot write: new work is being refused until the disk recovers.
    if (auto storage = summary->getObject("storage"); storage && textOf(storage, "state") != "ok") {
        std::cout << "storage: " << textOf(storage, "state") << " since "
                  << textOf(storage, "since") << ": " << textOf(storage, "detail") << "\n";
    }
    return kOk;
}

} // namespace gp::agent::ctl
