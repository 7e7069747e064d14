// spine-mock's mock.tls.* keys and mock.allowPlainHttp (docs/spine-mock.md, "TLS").

#include <gp/mock/MockConfig.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

using namespace gp::mock;

namespace {

MockConfig configured(std::initializer_list<std::pair<const char*, const char*>> values) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config(new Poco::Util::MapConfiguration);
    config->setString("mock.stateDir", "/s");
    for (const auto& [key, value] : values) {
        config->setString(key, value);
    }
    std::vector<std::string> warnings;
    auto result = MockConfig::fromConfiguration(*config, warnings);
    REQUIRE_MESSAGE(result.ok(), result.error().describe());
    CHECK(warnings.empty());
    return *result;
}

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("TLS: a listener without a certificate is refused unless mock.allowPlainHttp") {
        std::vector<std::string> warnings;
        const auto refused = checkListenerSecurity(configured({}), warnings);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().where == "mock.tls.certFile");
        CHECK(refused.error().message.find("mock.allowPlainHttp") != std::string::npos);

        const auto allowed =
            checkListenerSecurity(configured({{"mock.allowPlainHttp", "true"}}), warnings);
        CHECK(allowed.ok());
        REQUIRE(warnings.size() == 1);
        CHECK(warnings.front().rfind("PLAIN HTTP, TEST SET-UP ONLY", 0) == 0);
    }

    TEST_CASE("TLS: mock.tls.* are read and must make a mutual-TLS listener") {
        const auto config =
            configured({{"mock.tls.certFile", "/pki/spine.pem"},
                        {"mock.tls.keyFile", "/pki/spine.key"},
                        {"mock.tls.caFile", "/pki/ca.pem"},
                        {"mock.tls.clientNames", "practice-a.test, practice-b.test"}});
        CHECK(config.tls.enabled());
        CHECK(config.tls.clientNames ==
              std::vector<std::string>{"practice-a.test", "practice-b.test"});
        std::vector<std::string> warnings;
        CHECK(checkListenerSecurity(config, warnings).ok());
        CHECK(warnings.empty());

        auto noCa = config;
        noCa.tls.caFile.clear();
        CHECK(checkListenerSecurity(noCa, warnings).error().where == "mock.tls.caFile");
        auto noKey = config;
        noKey.tls.keyFile.clear();
        CHECK(checkListenerSecurity(noKey, warnings).error().where == "mock.tls.keyFile");
    }
}
