// Benchmark, not a test: how soon a gp-agent restarted on a long queue starts sending again.
// Builds an agent state holding N queued prescriptions (real submissions through
// EpsSubmissions, as the local API makes them, plus a few left "sending" as a crash mid-send
// leaves them), then starts gp-agent on it against a real spine-mock and reports the time from
// process start to: listening (ports.json written), the first message received by spine-mock
// (its journal), and that message acknowledged (the agent's ackedAt). Also how long one
// GET /v1/status takes on that queue.
//
//   build/ci/tests/bench/bench_restart [N=100000] [filling threads=4]
//
// The queue is filled in /dev/shm when it exists (fsync costs nothing there, so 100,000
// commits take seconds, not minutes) and the database then copied into the agent's state
// directory on disk, where the agent runs with its usual synchronous=FULL.

#include "ProcessHarness.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/SystemRandom.hpp>
#include <gp/agent/config/Settings.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/DateTimeParser.h>
#include <Poco/Util/PropertyFileConfiguration.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>

using namespace gp::test;
namespace agent = gp::agent;

namespace {

double epochMillis(const std::string& iso) {
    int tz = 0;
    const auto time = Poco::DateTimeParser::parse("%Y-%m-%dT%H:%M:%S.%iZ", iso, tz);
    return static_cast<double>(time.timestamp().epochMicroseconds()) / 1000.0;
}

double nowEpochMillis() {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count()) /
           1000.0;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void copyDatabase(const std::filesystem::path& from, const std::filesystem::path& to) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::filesystem::remove(to.string() + suffix);
        if (std::filesystem::exists(from.string() + suffix)) {
            std::filesystem::copy_file(from.string() + suffix, to.string() + suffix);
        }
    }
}

agent::EpsRouting routingOf(const std::filesystem::path& configFile) {
    Poco::AutoPtr<Poco::Util::PropertyFileConfiguration> file(
        new Poco::Util::PropertyFileConfiguration(configFile.string()));
    auto loaded = agent::loadSettings(*file);
    if (!loaded) {
        throw std::runtime_error("agent configuration: " + loaded.error().describe());
    }
    const auto& s = loaded->settings;
    return {s.partyKey,      s.asid,       s.odsCode,   s.spineUrl,
            s.spinePartyKey, s.spineCpaId, s.spineAsid, s.epsPersistDuration,
            s.epsMaxAttempts};
}

/// Submits `total` prescriptions from `threads` threads; returns how many were accepted.
int fillQueue(const std::filesystem::path& database, const agent::EpsRouting& routing, int total,
              int threads) {
    agent::SystemClock clock;
    auto store = agent::openSqliteStore(database, clock);
    std::atomic<int> next{0};
    std::atomic<int> accepted{0};
    const std::string json = prescriptionJson();
    std::vector<std::thread> fillers;
    for (int t = 0; t < threads; ++t) {
        fillers.emplace_back([&] {
            agent::SystemRandom random;
            agent::EpsSubmissions eps(*store, clock, random, routing);
            while (next.fetch_add(1) < total) {
                if (eps.submit(json, "bench").kind == agent::SubmissionResult::Kind::Accepted) {
                    ++accepted;
                }
            }
        });
    }
    for (auto& filler : fillers) {
        filler.join();
    }
    // As a crash mid-send leaves them: a few claimed, their leases held by a dead instance.
    const auto resumed = store->setDispatchPaused(false, {"bench", "dispatch-resumed", "", ""});
    const auto inFlight = store->claimDue("instance-that-crashed", std::chrono::minutes(5), 4);
    if (!resumed || !inFlight) {
        throw std::runtime_error("cannot resume sending or claim in the filled store");
    }
    return accepted.load();
}

} // namespace

int main(int argc, char** argv) {
    const int total = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100000;
    const int threads = argc > 2 ? std::max(1, std::atoi(argv[2])) : 4;

    TempDir dir("gp-bench-restart");
    SpineMock mock(dir.path() / "mock");
    mock.start();
    Agent agent(dir.path() / "agent", mock.baseUrl(), "log.level = notice\n");
    // A first run creates the state (schema, token files) with sending paused, then stops.
    agent.start();
    agent.api().post("/v1/dispatch/pause", "{}");
    agent.stop();

    const auto database = agent.stateDir() / "gp-agent.db";
    const bool useShm = std::filesystem::is_directory("/dev/shm");
    const std::filesystem::path fillDir =
        useShm
            ? std::filesystem::path("/dev/shm") / ("gp-bench-restart-" + std::to_string(getpid()))
            : dir.path() / "fill";
    std::filesystem::create_directories(fillDir);
    copyDatabase(database, fillDir / "gp-agent.db");
    const auto fillStarted = std::chrono::steady_clock::now();
    const int queued =
        fillQueue(fillDir / "gp-agent.db", routingOf(agent.configFile()), total, threads);
    const double fillSeconds = secondsSince(fillStarted);
    copyDatabase(fillDir / "gp-agent.db", database);
    std::filesystem::remove_all(fillDir);
    const auto databaseBytes = std::filesystem::file_size(database);

    // The restart itself.
    const double startedAt = nowEpochMillis();
    const auto started = std::chrono::steady_clock::now();
    agent.start();
    const double listening = secondsSince(started);

    std::string firstId;
    double firstReceivedAt = 0;
    const bool sent = waitUntil(
        [&] {
            const auto journal = mock.journal();
            for (const auto& entry : journal) {
                const double at = epochMillis(entry->getValue<std::string>("receivedAt"));
                if (firstId.empty() || at < firstReceivedAt) {
                    firstReceivedAt = at;
                    firstId = entry->getValue<std::string>("messageId");
                }
            }
            return !firstId.empty();
        },
        std::chrono::seconds(120));
    double firstAckedAt = 0;
    bool acked = false;
    if (sent) {
        acked = waitUntil(
            [&] {
                const auto message = agent.message(firstId);
                if (message->getValue<std::string>("state") != "acked") {
                    return false;
                }
                firstAckedAt = epochMillis(message->getValue<std::string>("ackedAt"));
                return true;
            },
            std::chrono::seconds(60));
    }
    const auto statusAsked = std::chrono::steady_clock::now();
    const auto status = agent.api().get("/v1/status");
    const double statusSeconds = secondsSince(statusAsked);
    agent.api().post("/v1/dispatch/pause", "{}"); // nobody needs the other 100,000 sent
    const auto stopAsked = std::chrono::steady_clock::now();
    agent.stop();
    const double stopSeconds = secondsSince(stopAsked);
    mock.stop();

    std::printf("restart: %d prescriptions queued (%d accepted) from %d threads in %.1f s%s; "
                "database %.1f MB\n",
                total, queued, threads, fillSeconds, useShm ? " (in /dev/shm)" : "",
                static_cast<double>(databaseBytes) / 1e6);
    std::printf("  process start -> listening (ports.json): %.0f ms\n", listening * 1000);
    if (sent) {
        std::printf("  process start -> first message received by spine-mock: %.0f ms\n",
                    firstReceivedAt - startedAt);
    } else {
        std::printf("  no message reached spine-mock within 120 s\n");
    }
    if (acked) {
        std::printf("  process start -> that message acked: %.0f ms\n", firstAckedAt - startedAt);
    }
    std::printf("  GET /v1/status on that queue: %.0f ms (HTTP %d)\n", statusSeconds * 1000,
                status.status);
    std::printf("  stop (SIGTERM -> exit): %.0f ms\n", stopSeconds * 1000);
    return sent && acked && queued == total ? 0 : 1;
}
