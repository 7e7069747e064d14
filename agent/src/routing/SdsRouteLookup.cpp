#include <gp/agent/config/Settings.hpp>
#include <gp/agent/routing/RouteLookup.hpp>
#include <gp/agent/transport/HttpTransport.hpp>

#include <Poco/Dynamic/Var.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Logger.h>

#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <typeinfo>
#include <utility>

namespace gp::agent {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("routing");
}

std::string percentEncode(const std::string& text) {
    std::string out;
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out += c;
        } else {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
            out += escaped;
        }
    }
    return out;
}

/// Reads one field of the answer; errors name it ("sds.retryInterval").
class AnswerReader {
public:
    explicit AnswerReader(const Poco::JSON::Object& object) : m_object(object) {}

    Result<std::string> text(const std::string& field, bool required,
                             std::string fallback = {}) const {
        if (!m_object.has(field) || m_object.isNull(field)) {
            if (required) {
                return failure("sds." + field, "is missing");
            }
            return fallback;
        }
        const Poco::Dynamic::Var value = m_object.get(field);
        if (!value.isString()) {
            return failure("sds." + field, "must be a string");
        }
        return value.extract<std::string>();
    }

    Result<Milliseconds> duration(const std::string& field, Milliseconds fallback) const {
        const Result<std::string> value = text(field, false);
        if (!value) {
            return value.error();
        }
        if (value->empty()) {
            return fallback;
        }
        const Result<Milliseconds> parsed = parseIsoDuration(*value);
        if (!parsed) {
            return failure("sds." + field, parsed.error().message);
        }
        return *parsed;
    }

    /// SDS says "always" or "never"; a JSON boolean is taken too.
    Result<bool> flag(const std::string& field, bool fallback) const {
        if (!m_object.has(field) || m_object.isNull(field)) {
            return fallback;
        }
        const Poco::Dynamic::Var value = m_object.get(field);
        if (value.isBoolean()) {
            return value.extract<bool>();
        }
        if (value.isString()) {
            const std::string word = value.extract<std::string>();
            if (word == "always") {
                return true;
            }
            if (word == "never") {
                return false;
            }
        }
        return failure("sds." + field, "must be \"always\" or \"never\"");
    }

    Result<int> count(const std::string& field, int fallback) const {
        if (!m_object.has(field) || m_object.isNull(field)) {
            return fallback;
        }
        const Poco::Dynamic::Var value = m_object.get(field);
        if (!value.isInteger() || value.convert<long long>() < 0) {
            return failure("sds." + field, "must be a whole number of at least 0");
        }
        return static_cast<int>(value.convert<long long>());
    }

private:
    const Poco::JSON::Object& m_object;
};

Result<Route> parseRoute(const std::string& body, const std::string& odsCode,
                         const std::string& serviceInteraction) {
    Poco::JSON::Object::Ptr object;
    try {
        Poco::JSON::Parser parser;
        const Poco::Dynamic::Var parsed = parser.parse(body);
        if (parsed.type() == typeid(Poco::JSON::Object::Ptr)) {
            object = parsed.extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const Poco::Exception& e) {
        return failure("sds", "the route answer is not a JSON object: " + e.displayText());
    } catch (const std::exception& e) {
        return failure("sds", std::string("the route answer is not a JSON object: ") + e.what());
    }
    if (object.isNull()) {
        return failure("sds", "the route answer is not a JSON object");
    }
    const AnswerReader reader(*object);
    Route route;
    route.odsCode = odsCode;
    route.serviceInteraction = serviceInteraction;

    // Every field is read in order; the first that is wrong is the error.
    const auto take = [](auto result, auto& into) -> std::optional<Error> {
        if (!result) {
            return result.error();
        }
        into = *result;
        return std::nullopt;
    };
    for (std::optional<Error> error :
         {take(reader.text("partyKey", true), route.partyKey),
          take(reader.text("endpoint", true), route.endpoint),
          take(reader.text("asid", false), route.asid),
          take(reader.text("cpaId", false), route.cpaId),
          take(reader.count("retries", route.retries), route.retries),
          take(reader.duration("retryInterval", route.retryInterval), route.retryInterval),
          take(reader.duration("persistDuration", route.persistDuration), route.persistDuration),
          take(reader.flag("duplicateElimination", route.duplicateElimination),
               route.duplicateElimination),
          take(reader.flag("ackRequested", route.ackRequested), route.ackRequested),
          take(reader.text("syncReplyMode", false), route.syncReplyMode),
          take(reader.text("actor", false), route.actor)}) {
        if (error) {
            return *error;
        }
    }
    return route;
}

class SdsRouteLookup final : public RouteLookup {
public:
    SdsRouteLookup(std::string baseUrl, Milliseconds timeToLive, const Clock& clock,
                   std::unique_ptr<HttpTransport> transport)
        : m_baseUrl(std::move(baseUrl)), m_timeToLive(timeToLive), m_clock(clock),
          m_transport(std::move(transport)) {
        while (!m_baseUrl.empty() && m_baseUrl.back() == '/') {
            m_baseUrl.pop_back();
        }
    }

    Result<Route> lookup(const std::string& odsCode,
                         const std::string& serviceInteraction) override {
        const std::string key = odsCode + '\n' + serviceInteraction;
        {
            std::lock_guard lock(m_cacheMutex);
            const auto found = m_cache.find(key);
            if (found != m_cache.end() && m_clock.now() < found->second.until) {
                return found->second.route;
            }
        }
        Result<Route> route = fetch(odsCode, serviceInteraction);
        if (route) {
            std::lock_guard lock(m_cacheMutex);
            m_cache.insert_or_assign(key, Cached{*route, m_clock.now() + m_timeToLive});
        }
        return route;
    }

private:
    struct Cached {
        Route route;
        TimePoint until;
    };

    Result<Route> fetch(const std::string& odsCode, const std::string& serviceInteraction) {
        HttpRequest request;
        request.method = "GET";
        request.url = m_baseUrl + "/routing?odsCode=" + percentEncode(odsCode) +
                      "&interaction=" + percentEncode(serviceInteraction);
        request.headers.emplace_back("Accept", "application/json");
        TransportResult result;
        {
            // A transport is not shared between threads; lookups are rare enough to queue.
            std::lock_guard lock(m_transportMutex);
            result = m_transport->send(request);
        }
        if (!result.response) {
            logger().warning("route lookup for %s %s failed: %s", odsCode, serviceInteraction,
                             result.failureText);
            return failure("sds", "route lookup failed: " + result.failureText);
        }
        const HttpResponse& response = *result.response;
        if (response.status == 404) {
            return failure("sds", "no route for " + odsCode + " " + serviceInteraction);
        }
        if (response.status != 200) {
            return failure("sds", "route lookup answered HTTP " + std::to_string(response.status));
        }
        return parseRoute(response.body, odsCode, serviceInteraction);
    }

    std::string m_baseUrl;
    const Milliseconds m_timeToLive;
    const Clock& m_clock;
    std::mutex m_transportMutex;
    std::unique_ptr<HttpTransport> m_transport;
    std::mutex m_cacheMutex;
    std::map<std::string, Cached> m_cache;
};

} // namespace

std::unique_ptr<RouteLookup> makeSdsRouteLookup(std::string baseUrl, Milliseconds timeToLive,
                                                const Clock& clock,
                                                std::unique_ptr<HttpTransport> transport) {
    return std::make_unique<SdsRouteLookup>(std::move(baseUrl), timeToLive, clock,
                                            std::move(transport));
}

} // namespace gp::agent
