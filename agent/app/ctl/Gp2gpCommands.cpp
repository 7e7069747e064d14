#include "Commands.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

namespace gp::agent::ctl {

namespace {

// "[#####.....] 5/10 parts, 12.3/30.0 MB": bytes drive the bar when they are known.
std::string progressBar(const Object::Ptr& transfer) {
    const auto number = [&](const std::string& key) -> double {
        if (!transfer->has(key) || transfer->isNull(key)) {
            return 0;
        }
        return transfer->getValue<double>(key);
    };
    const double partsExpected = number("partsExpected");
    const double partsDone = number(transfer->has("partsSent") ? "partsSent" : "partsReceived");
    const double bytesExpected = number("bytesExpected");
    const double bytesDone = number("bytesDone");
    double fraction = 0;
    if (bytesExpected > 0) {
        fraction = bytesDone / bytesExpected;
    } else if (partsExpected > 0) {
        fraction = partsDone / partsExpected;
    }
    fraction = std::min(1.0, std::max(0.0, fraction));
    constexpr int kWidth = 10;
    const int filled = static_cast<int>(fraction * kWidth + 0.5);
    char figures[96];
    std::snprintf(figures, sizeof figures, "] %d/%d parts, %.1f/%.1f MB",
                  static_cast<int>(partsDone), static_cast<int>(partsExpected), bytesDone / 1e6,
                  bytesExpected / 1e6);
    return "[" + std::string(static_cast<std::size_t>(filled), '#') +
           std::string(static_cast<std::size_t>(kWidth - filled), '.') + figures;
}

bool transferEnded(const std::string& state) {
    return state == "closed" || state == "failed" || state == "awaiting-ack";
}

void printTransfer(const Object::Ptr& transfer) {
    std::cout << "transfer     " << textOf(transfer, "conversationId") << "\n"
              << "role         " << textOf(transfer, "role") << "\n"
              << "state        " << textOf(transfer, "state") << "\n"
              << "other side   " << textOf(transfer, "remoteOds") << "\n"
              << "progress     " << progressBar(transfer) << "\n"
              << "deadline     " << textOf(transfer, "deadline") << "\n"
              << "created      " << textOf(transfer, "createdAt") << "\n"
              << "updated      " << textOf(transfer, "updatedAt") << "\n";
    if (textOf(transfer, "errorCode") != "-" || textOf(transfer, "errorText") != "-") {
        std::cout << "error        " << textOf(transfer, "errorCode") << ": "
                  << textOf(transfer, "errorText") << "\n";
    }
    auto parts = transfer->getArray("parts");
    if (parts && parts->size() > 0) {
        std::cout << "parts:\n";
        forEachObject(parts, [](const Object::Ptr& part) {
            std::cout << "  " << textOf(part, "kind") << "  " << textOf(part, "state") << "  "
                      << textOf(part, "expectedBytes") << " bytes  " << textOf(part, "filename")
                      << "\n";
        });
    }
    auto history = transfer->getArray("history");
    if (history && history->size() > 0) {
        std::cout << "history:\n";
        forEachObject(history, [](const Object::Ptr& row) {
            std::cout << "  " << textOf(row, "at") << "  " << textOf(row, "event") << "  "
                      << textOf(row, "detail") << "\n";
        });
    }
}

} // namespace

// gp2gp request NHS_NUMBER FROM_ODS
std::optional<int> gp2gpRequest(const Context& ctx, const Args& args) {
    if (args.size() != 2) {
        return std::nullopt;
    }
    Object body;
    body.set("nhsNumber", args[0]);
    body.set("fromOdsCode", args[1]);
    const auto accepted = post(ctx, "/v1/gp2gp/requests", stringify(body));
    if (!accepted.object) {
        return accepted.exitCode;
    }
    std::cout << "requested: transfer " << textOf(accepted.object, "conversationId") << " from "
              << args[1] << "\n";
    return kOk;
}

// gp2gp show CONVERSATION_ID [--follow]
std::optional<int> gp2gpShow(const Context& ctx, const Args& args) {
    const bool follow = args.size() == 2 && args[1] == "--follow";
    if (args.size() != 1 && !follow) {
        return std::nullopt;
    }
    const std::string path = "/v1/gp2gp/transfers/" + args[0];
    if (!follow || ctx.json) {
        const auto fetched = fetch(ctx, path);
        if (fetched.object) {
            printTransfer(fetched.object);
        }
        return fetched.exitCode;
    }
    for (;;) {
        const auto fetched = fetch(ctx, path);
        if (!fetched.object) {
            return fetched.exitCode;
        }
        const std::string state = textOf(fetched.object, "state");
        if (transferEnded(state)) {
            std::cout << "\r\033[K";
            printTransfer(fetched.object);
            return state == "failed" ? kFailed : kOk;
        }
        // Redrawn in place: one line that fills up while the documents move.
        std::cout << "\r\033[K" << progressBar(fetched.object) << "  " << state << std::flush;
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

// gp2gp list [--state S]
std::optional<int> gp2gpList(const Context& ctx, const Args& args) {
    std::string state;
    if (args.size() == 2 && args[0] == "--state") {
        state = args[1];
    } else if (!args.empty()) {
        return std::nullopt;
    }
    const auto fetched =
        fetch(ctx, "/v1/gp2gp/transfers" + (state.empty() ? "" : "?state=" + state));
    if (!fetched.object) {
        return fetched.exitCode;
    }
    forEachObject(fetched.object->getArray("transfers"), [](const Object::Ptr& transfer) {
        std::cout << textOf(transfer, "conversationId") << "  " << textOf(transfer, "role") << "  "
                  << textOf(transfer, "state") << "  " << textOf(transfer, "remoteOds") << "  "
                  << progressBar(transfer) << "  " << textOf(transfer, "updatedAt") << "\n";
    });
    return kOk;
}

// gp2gp ack CONVERSATION_ID (--accept | --reject CODE)
std::optional<int> gp2gpAck(const Context& ctx, const Args& args) {
    const bool accept = args.size() == 2 && args[1] == "--accept";
    const bool reject = args.size() == 3 && args[1] == "--reject";
    if (!accept && !reject) {
        return std::nullopt;
    }
    const std::string& conversationId = args[0];
    Object body;
    if (accept) {
        body.set("accepted", true);
    } else {
        body.set("reasonCode", args[2]);
    }
    const auto accepted =
        post(ctx, "/v1/gp2gp/transfers/" + conversationId + "/ack", stringify(body));
    if (!accepted.object) {
        return accepted.exitCode;
    }
    std::cout << (accept ? "accepted" : "rejected") << ": transfer " << conversationId << ", state "
              << textOf(accepted.object, "state") << "\n";
    return kOk;
}

} // namespace gp::agent::ctl
