#include "Authorisation.hpp"

namespace gp::agent::api {

namespace {

bool endsWith(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool startsWith(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

} // namespace

bool isPublic(std::string_view method, std::string_view path) {
    if (method != "GET" && method != "HEAD") {
        return false;
    }
    return path == "/healthz" || path == "/" || path == "/status.js" || path == "/status.css";
}

Scope requiredScope(std::string_view method, std::string_view path) {
    if (method == "GET" || method == "HEAD") {
        return Scope::Read;
    }
    if (method == "POST") {
        // Staff actions on the outbox: they change when or whether a message is sent again, never
        // what it says or whom it concerns.
        if (startsWith(path, "/v1/messages/") &&
            (endsWith(path, "/retry") || endsWith(path, "/acknowledge"))) {
            return Scope::Operate;
        }
        if (path == "/v1/messages/retry-failed" || path == "/v1/dispatch/pause" ||
            path == "/v1/dispatch/resume") {
            return Scope::Operate;
        }
    }
    return Scope::Full;
}

} // namespace gp::agent::api
