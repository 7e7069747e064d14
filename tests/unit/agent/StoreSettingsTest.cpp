// store.*: which engine keeps the state, where, and under which instance name; and the password
// in store.url never reaching a log.

#include <gp/agent/config/Settings.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Environment.h>
#include <Poco/Util/MapConfiguration.h>
#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace gp::agent;

namespace {

gp::Result<LoadedSettings> loadWith(const std::map<std::string, std::string>& store) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> config = new Poco::Util::MapConfiguration;
    config->setString("agent.stateDir", "/var/lib/gp-agent");
    config->setString("agent.odsCode", "A83008");
    config->setString("agent.partyKey", "A83008-9199121");
    config->setString("agent.asid", "200000001234");
    config->setString("test.allowPlainHttp", "true");
    for (const auto& [key, value] : store) {
        config->setString(key, value);
    }
    return loadSettings(*config);
}

} // namespace

TEST_SUITE("config") {

    TEST_CASE("store: SQLite in the state directory unless told otherwise") {
        const auto loaded = loadWith({});
        REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
        const AgentSettings& s = loaded->settings;
        CHECK(s.store.engine == "sqlite");
        CHECK(filesDirOf(s) == "/var/lib/gp-agent");
        const StoreLocation location = storeLocationOf(s);
        CHECK(location.engine == "sqlite");
        CHECK(location.sqliteFile == "/var/lib/gp-agent/gp-agent.db");
    }

    TEST_CASE("store: PostgreSQL needs store.url; the instance defaults to the host name") {
        const auto missing = loadWith({{"store.engine", "postgresql"}});
        REQUIRE_FALSE(missing.ok());
        CHECK(missing.error().where == "store.url");

        const auto loaded = loadWith({{"store.engine", "postgresql"},
                                      {"store.url", "postgresql://gp@db.example/gpagent"},
                                      {"store.filesDir", "/srv/gp-agent-files"}});
        REQUIRE_MESSAGE(loaded.ok(), loaded.error().describe());
        const StoreLocation location = storeLocationOf(loaded->settings);
        CHECK(location.engine == "postgresql");
        CHECK(location.postgresUrl == "postgresql://gp@db.example/gpagent");
        CHECK(location.instance == Poco::Environment::nodeName());
        CHECK(filesDirOf(loaded->settings) == "/srv/gp-agent-files");
    }

    TEST_CASE("store: a bad engine, URL or instance name is refused naming its key") {
        const auto engine = loadWith({{"store.engine", "mysql"}});
        REQUIRE_FALSE(engine.ok());
        CHECK(engine.error().where == "store.engine");

        const auto url = loadWith({{"store.engine", "postgresql"}, {"store.url", "db.example"}});
        REQUIRE_FALSE(url.ok());
        CHECK(url.error().where == "store.url");

        const auto instance = loadWith({{"store.engine", "postgresql"},
                                        {"store.url", "host=db.example dbname=gpagent"},
                                        {"store.instance", "two words"}});
        REQUIRE_FALSE(instance.ok());
        CHECK(instance.error().where == "store.instance");
    }

    TEST_CASE("store: a URL ignored by SQLite is warned about") {
        const auto loaded = loadWith({{"store.url", "postgresql://gp@db.example/gpagent"}});
        REQUIRE(loaded.ok());
        int aboutUrl = 0;
        for (const auto& warning : loaded->warnings) {
            aboutUrl += warning.find("store.url is ignored") != std::string::npos ? 1 : 0;
        }
        CHECK(aboutUrl == 1);
    }

    TEST_CASE("store.url: passwords are masked wherever libpq accepts them") {
        CHECK(maskStoreUrl("postgresql://gp:s3cret@db.example:5432/gpagent") ==
              "postgresql://gp:***@db.example:5432/gpagent");
        CHECK(maskStoreUrl("postgresql://gp@db.example/gpagent?sslmode=require&password=s3cret") ==
              "postgresql://gp@db.example/gpagent?sslmode=require&password=***");
        CHECK(maskStoreUrl("host=db.example password=s3cret dbname=gpagent") ==
              "host=db.example password=*** dbname=gpagent");
        CHECK(maskStoreUrl("host=db.example password = 'a b\\' c' dbname=gpagent") ==
              "host=db.example password = *** dbname=gpagent");
        CHECK(maskStoreUrl("postgresql://gp@db.example/gpagent") ==
              "postgresql://gp@db.example/gpagent");
        CHECK(maskStoreUrl("postgresql://db.example/gpagent?user=a@b") ==
              "postgresql://db.example/gpagent?user=a@b");
    }
}
