// What every gp-agentctl command shares: the context, exit codes and the talk with the agent.
#pragma once

#include <gp/agent/config/Settings.hpp>
#include <gp/agent/ctl/ApiClient.hpp>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace gp::agent::ctl {

using Poco::JSON::Array;
using Poco::JSON::Object;

constexpr int kOk = 0;
constexpr int kFailed = 1; // the agent said no, or the audit chain is broken
constexpr int kUsage = 2;  // wrong arguments or configuration
constexpr int kUnreachable = 3;

struct Context {
    AgentSettings settings;
    bool json = false;
};

// The words after a command's name.
using Args = std::vector<std::string>;

// A command's exit code, or nothing when its words do not fit and the usage text should be shown.
using Handler = std::optional<int> (*)(const Context&, const Args&);

// Prints why and returns nothing when the file cannot be read or holds bad settings.
std::optional<AgentSettings> loadConfig(const std::string& path);

// The Unix user running gp-agentctl (SUDO_USER under sudo), sent as X-Gp-Operator.
std::string operatorName();

ApiClient clientFor(const AgentSettings& settings);

Object::Ptr parseObject(const std::string& text);
std::string stringify(const Object& object);

// "-" for a missing or null member, so columns stay countable.
std::string textOf(const Object::Ptr& object, const std::string& key);

void forEachObject(const Array::Ptr& array, const auto& visit) {
    for (std::size_t i = 0; array && i < array->size(); ++i) {
        visit(array->getObject(static_cast<unsigned>(i)));
    }
}

// Prints the agent's {"errors": [...]} to standard error; returns kFailed.
int printErrors(const std::string& body);

// What a request came to. `object` is null when the command has nothing left to print: the agent
// said no (its errors are printed and exitCode says so) or --json printed the body as it came.
struct Answer {
    Object::Ptr object;
    int exitCode = kOk;
};

// GETs `path`, expecting 200.
Answer fetch(const Context& ctx, const std::string& path);

// POSTs `body` to `path`, expecting `expectedStatus`; any other status is reported on standard
// error as "`refusal` (HTTP n)".
Answer post(const Context& ctx, const std::string& path, const std::string& body,
            int expectedStatus = 202, const std::string& refusal = "not accepted");

} // namespace gp::agent::ctl
