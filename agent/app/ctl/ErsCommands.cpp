#include "Commands.hpp"

#include <Poco/String.h>
#include <Poco/StringTokenizer.h>

#include <filesystem>
#include <iostream>
#include <map>

namespace gp::agent::ctl {

namespace {

std::string letterType(const std::string& file) {
    const std::string extension = Poco::toLower(std::filesystem::path(file).extension().string());
    static const std::map<std::string, std::string> kTypes = {
        {".pdf", "application/pdf"},
        {".txt", "text/plain"},
        {".rtf", "application/rtf"},
        {".doc", "application/msword"},
        {".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".png", "image/png"},
        {".tif", "image/tiff"},
        {".tiff", "image/tiff"}};
    const auto found = kTypes.find(extension);
    return found == kTypes.end() ? "application/octet-stream" : found->second;
}

} // namespace

// ers refer NHS_NUMBER SERVICE_ID[,SERVICE_ID...] [--letter FILE [--type MEDIA_TYPE]]
std::optional<int> ersRefer(const Context& ctx, const Args& args) {
    if (args.size() < 2) {
        return std::nullopt;
    }
    std::string letter;
    std::string type;
    for (std::size_t i = 2; i < args.size(); i += 2) {
        if (i + 1 < args.size() && args[i] == "--letter") {
            letter = args[i + 1];
        } else if (i + 1 < args.size() && args[i] == "--type") {
            type = args[i + 1];
        } else {
            return std::nullopt;
        }
    }
    Object body;
    body.set("nhsNumber", args[0]);
    Array::Ptr ids = new Array;
    Poco::StringTokenizer tokens(
        args[1], ",", Poco::StringTokenizer::TOK_TRIM | Poco::StringTokenizer::TOK_IGNORE_EMPTY);
    for (const auto& id : tokens) {
        ids->add(id);
    }
    body.set("serviceIds", ids);
    if (!letter.empty()) {
        // The agent reads the file itself, perhaps from another working directory.
        body.set("letterFile", std::filesystem::absolute(letter).string());
        body.set("letterContentType", type.empty() ? letterType(letter) : type);
    }
    const auto accepted = post(ctx, "/v1/ers/referrals", stringify(body));
    if (!accepted.object) {
        return accepted.exitCode;
    }
    std::cout << "accepted: e-RS request " << textOf(accepted.object, "requestId") << "\n";
    return kOk;
}

std::optional<int> ersShow(const Context& ctx, const Args& args) {
    if (args.size() != 1) {
        return std::nullopt;
    }
    const auto fetched = fetch(ctx, "/v1/ers/referrals/" + args[0]);
    if (!fetched.object) {
        return fetched.exitCode;
    }
    const auto& request = fetched.object;
    std::cout << "request      " << textOf(request, "requestId") << "\n"
              << "state        " << textOf(request, "state") << "\n"
              << "UBRN         " << textOf(request, "ubrn") << "\n"
              << "letter       "
              << (textOf(request, "letter") != "true"           ? "none"
                  : textOf(request, "letterAttached") == "true" ? "attached"
                                                                : "not attached yet")
              << "\n";
    if (textOf(request, "errorCode") != "-") {
        std::cout << "error        " << textOf(request, "errorCode") << ": "
                  << textOf(request, "errorText") << "\n";
    }
    std::cout << "steps:\n";
    forEachObject(request->getArray("steps"), [](const Object::Ptr& step) {
        std::cout << "  " << textOf(step, "step") << "  " << textOf(step, "state") << "  "
                  << textOf(step, "code") << "  " << textOf(step, "text") << "\n";
    });
    return textOf(request, "state") == "failed" ? kFailed : kOk;
}

// ers search NHS_NUMBER [--specialty S]
std::optional<int> ersSearch(const Context& ctx, const Args& args) {
    const bool bySpecialty = args.size() == 3 && args[1] == "--specialty";
    if (args.size() != 1 && !bySpecialty) {
        return std::nullopt;
    }
    Object body;
    body.set("nhsNumber", args[0]);
    if (bySpecialty && !args[2].empty()) {
        body.set("specialty", args[2]);
    }
    const auto found = post(ctx, "/v1/ers/services/search", stringify(body), 200, "search failed");
    if (!found.object) {
        return found.exitCode;
    }
    forEachObject(found.object->getArray("services"), [](const Object::Ptr& service) {
        std::cout << textOf(service, "id") << "  " << textOf(service, "name") << "\n";
    });
    return kOk;
}

// ers cancel REQUEST_ID [REASON]
std::optional<int> ersCancel(const Context& ctx, const Args& args) {
    if (args.size() != 1 && args.size() != 2) {
        return std::nullopt;
    }
    const std::string& requestId = args[0];
    Object body;
    if (args.size() == 2 && !args[1].empty()) {
        body.set("reason", args[1]);
    }
    const auto cancelled = post(ctx, "/v1/ers/referrals/" + requestId + "/cancel", stringify(body));
    if (!cancelled.object) {
        return cancelled.exitCode;
    }
    std::cout << textOf(cancelled.object, "state") << ": e-RS request " << requestId << "\n";
    return kOk;
}

} // namespace gp::agent::ctl
