// gp-agent-tray: shows a receptionist or practice manager whether gp-agent is sending (green),
// waiting (amber) or needs someone (red). docs/tray.md is the staff guide.

#include "TrayShell.hpp"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <cstdio>

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName(QStringLiteral("gp-agent"));
    QCoreApplication::setApplicationName(QStringLiteral("tray"));
    QApplication::setQuitOnLastWindowClosed(false);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Desktop status icon for gp-agent. Settings are kept in %1; the options "
                       "below override them for this run.")
            .arg(QSettings().fileName()));
    parser.addHelpOption();
    const QCommandLineOption agentUrl(
        QStringLiteral("agent-url"),
        QStringLiteral("The agent's local API, e.g. http://server:7670."), QStringLiteral("URL"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
                                       QStringLiteral("File holding the tray's API token."),
                                       QStringLiteral("FILE"));
    const QCommandLineOption caFile(
        QStringLiteral("ca-file"),
        QStringLiteral("PEM file of the CA that issued the agent's "
                       "HTTPS certificate, if not one the system trusts."),
        QStringLiteral("FILE"));
    const QCommandLineOption pollSeconds(
        QStringLiteral("poll-interval"),
        QStringLiteral("Seconds between status polls (default 5)."), QStringLiteral("SECONDS"),
        QStringLiteral("5"));
    const QCommandLineOption window(QStringLiteral("window"),
                                    QStringLiteral("Keep the status window on screen even when "
                                                   "the desktop has a tray."));
    parser.addOptions({agentUrl, tokenFile, caFile, pollSeconds, window});
    parser.process(app);

    gp::tray::TrayShell::Options options;
    options.settings = gp::tray::TraySettings::load(QSettings());
    if (parser.isSet(agentUrl)) {
        options.settings.agentUrl = QUrl(parser.value(agentUrl));
    }
    if (parser.isSet(tokenFile)) {
        options.settings.tokenFile = parser.value(tokenFile);
    }
    if (parser.isSet(caFile)) {
        options.settings.caFile = parser.value(caFile);
    }
    bool numeric = false;
    const double seconds = parser.value(pollSeconds).toDouble(&numeric);
    if (!numeric || seconds < 0.1) {
        std::fprintf(stderr, "gp-agent-tray: --poll-interval: expected seconds >= 0.1, got '%s'\n",
                     qPrintable(parser.value(pollSeconds)));
        return 2;
    }
    options.timings.pollInterval = std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    options.alwaysShowWindow = parser.isSet(window);
    if (const auto problem = options.settings.problem(); !problem.isEmpty()) {
        // Not fatal: the tray shows red with the reason, and Settings can fix it.
        std::fprintf(stderr, "gp-agent-tray: %s\n", qPrintable(problem));
    }

    gp::tray::TrayShell shell(options);
    shell.start();
    return QApplication::exec();
}
