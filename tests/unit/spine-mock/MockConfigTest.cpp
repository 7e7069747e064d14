#include <gp/mock/MockConfig.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

using namespace gp::mock;

namespace {

Poco::AutoPtr<Poco::Util::MapConfiguration>
settings(std::initializer_list<std::pair<const char*, const char*>> values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    for (const auto& [key, value] : values) {
        config->setString(key, value);
    }
    return config;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("configuration defaults apply when only the state directory is given") {
        std::vector<std::string> warnings;
        const auto config =
            MockConfig::fromConfiguration(*settings({{"mock.stateDir", "/tmp/x"}}), warnings);
        REQUIRE(config.ok());
        CHECK(config->bind == "127.0.0.1");
        CHECK(config->port == 7680);
        CHECK(config->stateDir == "/tmp/x");
        CHECK(config->partyKey == "YES-0000806");
        CHECK(config->cpaId == "S20001A000100");
        CHECK(config->knownSenders.empty());
        CHECK(config->faultsFile.empty());
        CHECK(config->logLevel == "information");
        CHECK(warnings.empty());
    }

    TEST_CASE("every declared key is read and unknown mock keys are warned about") {
        std::vector<std::string> warnings;
        const auto config = MockConfig::fromConfiguration(
            *settings({{"mock.stateDir", "/s"},
                       {"mock.port", "0"},
                       {"mock.bind", "0.0.0.0"},
                       {"mock.knownSenders", "A91424-9199121, B82001-1234567"},
                       {"mock.faults", "/f.json"},
                       {"mock.logLevel", "debug"},
                       {"mock.prot", "7000"},
                       {"other.key", "ignored silently"}}),
            warnings);
        REQUIRE(config.ok());
        CHECK(config->port == 0);
        CHECK(config->bind == "0.0.0.0");
        CHECK(config->knownSenders == std::vector<std::string>{"A91424-9199121", "B82001-1234567"});
        CHECK(config->faultsFile == "/f.json");
        CHECK(warnings ==
              std::vector<std::string>{"unknown configuration key mock.prot is ignored"});
        CHECK(configKeys().size() == 8);
    }

    TEST_CASE("invalid values name their key") {
        std::vector<std::string> warnings;
        SUBCASE("port") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.port", "70000"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().describe() ==
                  "mock.port: must be a whole number from 0 to 65535, not '70000'");
        }
        SUBCASE("missing state directory") {
            const auto config = MockConfig::fromConfiguration(*settings({}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.stateDir");
        }
        SUBCASE("party key") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.partyKey", "spine"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.partyKey");
        }
        SUBCASE("known senders") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.knownSenders", "A91424-9199121,bad"}}),
                warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().describe() == "mock.knownSenders: 'bad' is not a party key");
        }
        SUBCASE("log level") {
            const auto config = MockConfig::fromConfiguration(
                *settings({{"mock.stateDir", "/s"}, {"mock.logLevel", "loud"}}), warnings);
            REQUIRE_FALSE(config.ok());
            CHECK(config.error().where == "mock.logLevel");
        }
    }

} // TEST_SUITE
