#include <gp/mock/MockConfig.hpp>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Util/AbstractConfiguration.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace gp::mock {

namespace {

std::string trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t");
    return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> splitList(std::string_view text) {
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        const auto end = comma == std::string_view::npos ? text.size() : comma;
        if (auto item = trim(text.substr(start, end - start)); !item.empty()) {
            items.push_back(std::move(item));
        }
        if (comma == std::string_view::npos) {
            break;
        }
        start = comma + 1;
    }
    return items;
}

// A party key is an ODS code, a hyphen and a number, e.g. A91424-9199121 or YES-0000806.
bool isPartyKey(std::string_view key) {
    const auto dash = key.find('-');
    if (dash == std::string_view::npos || dash == 0 || dash + 1 == key.size()) {
        return false;
    }
    return std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    });
}

std::string value(const Poco::Util::AbstractConfiguration& config, const ConfigKey& key) {
    return trim(config.getString(std::string(key.name), std::string(key.defaultValue)));
}

const ConfigKey& declared(std::string_view name) {
    for (const auto& key : configKeys()) {
        if (key.name == name) {
            return key;
        }
    }
    throw std::logic_error("undeclared configuration key " + std::string(name));
}

} // namespace

const std::vector<ConfigKey>& configKeys() {
    static const std::vector<ConfigKey> keys = {
        {"mock.bind", KeyType::String, "127.0.0.1", "address to listen on"},
        {"mock.port", KeyType::Port, "7680", "HTTP port; 0 lets the system pick a free one"},
        {"mock.stateDir", KeyType::Path, "",
         "required: directory for spine-mock.db and ports.json (or --state-dir)"},
        {"mock.partyKey", KeyType::String, "YES-0000806",
         "Spine's own party key; eb:To/eb:PartyId must equal it"},
        {"mock.cpaId", KeyType::String, "S20001A000100", "the only eb:CPAId accepted"},
        {"mock.knownSenders", KeyType::PartyList, "",
         "comma-separated party keys allowed in eb:From; empty accepts any sender"},
        {"mock.faults", KeyType::Path, "",
         "JSON file with an array of fault rules loaded at start"},
        {"mock.logLevel", KeyType::LogLevel, "information",
         "fatal, critical, error, warning, notice, information, debug or trace"},
    };
    return keys;
}

Result<MockConfig> MockConfig::fromConfiguration(const Poco::Util::AbstractConfiguration& config,
                                                 std::vector<std::string>& warnings) {
    Poco::Util::AbstractConfiguration::Keys present;
    config.keys("mock", present);
    for (const auto& name : present) {
        const std::string full = "mock." + name;
        const bool known = std::any_of(configKeys().begin(), configKeys().end(),
                                       [&](const ConfigKey& key) { return key.name == full; });
        if (!known) {
            warnings.push_back("unknown configuration key " + full + " is ignored");
        }
    }

    MockConfig result;
    result.bind = value(config, declared("mock.bind"));
    if (result.bind.empty()) {
        return failure("mock.bind", "must not be empty");
    }

    const std::string port = value(config, declared("mock.port"));
    unsigned number = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc() || end != port.data() + port.size() || number > 65535) {
        return failure("mock.port", "must be a whole number from 0 to 65535, not '" + port + "'");
    }
    result.port = static_cast<std::uint16_t>(number);

    result.stateDir = value(config, declared("mock.stateDir"));
    if (result.stateDir.empty()) {
        return failure("mock.stateDir", "is required (or pass --state-dir)");
    }

    result.partyKey = value(config, declared("mock.partyKey"));
    if (!isPartyKey(result.partyKey)) {
        return failure("mock.partyKey",
                       "must be a party key such as YES-0000806, not '" + result.partyKey + "'");
    }
    result.cpaId = value(config, declared("mock.cpaId"));
    if (result.cpaId.empty()) {
        return failure("mock.cpaId", "must not be empty");
    }

    result.knownSenders = splitList(value(config, declared("mock.knownSenders")));
    for (const auto& sender : result.knownSenders) {
        if (!isPartyKey(sender)) {
            return failure("mock.knownSenders", "'" + sender + "' is not a party key");
        }
    }

    result.faultsFile = value(config, declared("mock.faults"));

    result.logLevel = value(config, declared("mock.logLevel"));
    try {
        Poco::Logger::parseLevel(result.logLevel);
    } catch (const Poco::Exception&) {
        return failure("mock.logLevel", "unknown level '" + result.logLevel + "'");
    }
    return result;
}

} // namespace gp::mock
