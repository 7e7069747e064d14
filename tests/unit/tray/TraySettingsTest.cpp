#include "TrayTestSupport.hpp"

#include <gp/tray/TraySettings.hpp>

#include <doctest/doctest.h>

#include <QTemporaryDir>

using gp::tray::TraySettings;

TEST_SUITE("tray") {
    TEST_CASE("tray settings survive a save and load and name what is wrong") {
        gp::tray::test::ensureQtApp();
        QTemporaryDir dir;
        REQUIRE(dir.isValid());
        QSettings store(dir.filePath("tray.conf"), QSettings::IniFormat);

        const auto defaults = TraySettings::load(store);
        CHECK(defaults.agentUrl == QUrl("http://127.0.0.1:7670"));
        CHECK(defaults.problem() ==
              "token file: not set (ask the IT lead for the tray's read token)");

        TraySettings settings;
        settings.agentUrl = QUrl("http://practice-server:7670");
        settings.tokenFile = "/home/reception/.config/gp-agent/tray-token";
        settings.caFile = "/etc/ssl/practice-ca.pem";
        settings.save(store);
        const auto loaded = TraySettings::load(store);
        CHECK(loaded.agentUrl == settings.agentUrl);
        CHECK(loaded.tokenFile == settings.tokenFile);
        CHECK(loaded.problem().isEmpty());

        const auto options = loaded.clientOptions();
        CHECK(options.agentUrl == settings.agentUrl);
        CHECK(options.tokenFile == settings.tokenFile);
        CHECK(options.caFile == settings.caFile);
        CHECK(loaded.caFile == settings.caFile);

        settings.agentUrl = QUrl("ftp://practice-server");
        CHECK(settings.problem() ==
              "agent URL: must start with http:// or https:// (ftp://practice-server)");
        settings.agentUrl = QUrl("practice-server");
        CHECK(settings.problem().startsWith("agent URL: not a URL with a host"));
    }
}
