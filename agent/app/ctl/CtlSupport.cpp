#include "CtlSupport.hpp"

#include <gp/agent/Files.hpp>
#include <gp/agent/transport/ApiTls.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace gp::agent::ctl {

namespace {

Answer answer(const Context& ctx, const ApiReply& reply, int expectedStatus,
              const std::string& refusal) {
    if (reply.status != expectedStatus) {
        std::cerr << refusal << "\n";
        return {Object::Ptr(), printErrors(reply.body)};
    }
    if (ctx.json) {
        std::cout << reply.body << "\n";
        return {Object::Ptr(), kOk};
    }
    return {parseObject(reply.body), kOk};
}

} // namespace

std::optional<AgentSettings> loadConfig(const std::string& path) {
    try {
        Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file(
            new Poco::Util::PropertyFileConfiguration(path));
        auto loaded = loadSettings(*file);
        if (!loaded) {
            std::cerr << "gp-agentctl: configuration " << path << ": " << loaded.error().describe()
                      << "\n";
            return std::nullopt;
        }
        return loaded->settings;
    } catch (const Poco::Exception& e) {
        std::cerr << "gp-agentctl: cannot read configuration " << path << ": " << e.displayText()
                  << "\n";
        return std::nullopt;
    }
}

// Who ran gp-agentctl: under sudo the user who called sudo, otherwise the real user.
std::string operatorName() {
    if (::getuid() == 0) {
        if (const char* sudoUser = std::getenv("SUDO_USER"); sudoUser != nullptr && *sudoUser) {
            return sudoUser;
        }
    }
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_name) {
        return entry->pw_name;
    }
    return "uid" + std::to_string(::getuid());
}

ApiClient clientFor(const AgentSettings& settings) {
    int port = settings.apiPort;
    if (port == 0) {
        // The agent picked a free port and wrote it down when it started.
        auto ports = parseObject(readWholeFile(settings.stateDir / "ports.json"));
        port = ports->getValue<int>("api");
    }
    std::string host = settings.apiBind == "0.0.0.0" ? "127.0.0.1" : settings.apiBind;
    std::string token = readWholeFile(settings.apiTokenFile);
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
        token.pop_back();
    }
    ApiClient client = settings.apiTls.enabled()
                           ? ApiClient(host, port, token, apiClientContext(settings.apiTls))
                           : ApiClient(host, port, token);
    client.setOperator(operatorName());
    return client;
}

Object::Ptr parseObject(const std::string& text) {
    Poco::JSON::Parser parser;
    return parser.parse(text).extract<Object::Ptr>();
}

std::string stringify(const Object& object) {
    std::ostringstream text;
    object.stringify(text);
    return text.str();
}

std::string textOf(const Object::Ptr& object, const std::string& key) {
    if (!object->has(key) || object->isNull(key)) {
        return "-";
    }
    return object->get(key).convert<std::string>();
}

int printErrors(const std::string& body) {
    try {
        auto reply = parseObject(body);
        forEachObject(reply->getArray("errors"), [](const Object::Ptr& error) {
            const std::string field = textOf(error, "field");
            std::cerr << "error: " << (field.empty() || field == "-" ? "" : field + ": ")
                      << textOf(error, "message") << "\n";
        });
    } catch (const Poco::Exception&) {
        std::cerr << "error: " << body << "\n";
    }
    return kFailed;
}

Answer fetch(const Context& ctx, const std::string& path) {
    const auto reply = clientFor(ctx.settings).get(path);
    return answer(ctx, reply, 200, "HTTP " + std::to_string(reply.status));
}

Answer post(const Context& ctx, const std::string& path, const std::string& body,
            int expectedStatus, const std::string& refusal) {
    const auto reply = clientFor(ctx.settings).post(path, body);
    return answer(ctx, reply, expectedStatus,
                  refusal + " (HTTP " + std::to_string(reply.status) + ")");
}

} // namespace gp::agent::ctl
