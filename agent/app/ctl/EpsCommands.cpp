#include "Commands.hpp"

#include <gp/agent/Files.hpp>

#include <iostream>
#include <iterator>

namespace gp::agent::ctl {

std::optional<int> submitEps(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const std::string& file = args[0];
    std::string body;
    if (file == "-") {
        body.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
        body = readWholeFile(file);
    }
    const auto accepted = post(ctx, "/v1/eps/prescriptions", body);
    if (!accepted.object) {
        return accepted.exitCode;
    }
    const auto& reply = accepted.object;
    std::cout << "accepted: message " << textOf(reply, "messageId") << ", prescription "
              << textOf(reply, "prescriptionId") << ", state " << textOf(reply, "state") << "\n";
    forEachObject(reply->getArray("items"), [](const Object::Ptr& item) {
        std::cout << "  item " << textOf(item, "lineItemId") << "\n";
    });
    return kOk;
}

// eps cancel PRESCRIPTION_ID LINE_ITEM_ID [REASON]
std::optional<int> epsCancel(const Context& ctx, const Args& args) {
    if (args.size() != 2 && args.size() != 3) {
        return std::nullopt;
    }
    Object request;
    request.set("prescriptionId", args[0]);
    request.set("lineItemId", args[1]);
    request.set("reason", args.size() == 3 ? args[2] : "0001");
    const auto accepted = post(ctx, "/v1/eps/cancellations", stringify(request));
    if (!accepted.object) {
        return accepted.exitCode;
    }
    const auto& reply = accepted.object;
    std::cout << "accepted: cancellation message " << textOf(reply, "messageId")
              << ", prescription " << textOf(reply, "prescriptionId") << ", item "
              << textOf(reply, "lineItemId") << ", state " << textOf(reply, "state") << "\n";
    return kOk;
}

std::optional<int> epsShow(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const auto fetched = fetch(ctx, "/v1/eps/prescriptions/" + args[0]);
    if (!fetched.object) {
        return fetched.exitCode;
    }
    const auto& prescription = fetched.object;
    std::cout << "prescription " << textOf(prescription, "prescriptionId") << "\nitems:\n";
    forEachObject(prescription->getArray("items"), [](const Object::Ptr& item) {
        std::cout << "  " << textOf(item, "lineItemId") << "  " << textOf(item, "state") << "  "
                  << textOf(item, "code") << "  " << textOf(item, "text") << "  "
                  << textOf(item, "updatedAt") << "\n";
    });
    std::cout << "messages:\n";
    forEachObject(prescription->getArray("messages"), [](const Object::Ptr& message) {
        std::cout << "  " << textOf(message, "messageId") << "  " << textOf(message, "interaction")
                  << "  " << textOf(message, "state") << "\n";
    });
    return kOk;
}

} // namespace gp::agent::ctl
