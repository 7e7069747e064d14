// Benchmark, not a test: small EPS prescriptions accepted by a real gp-agent and acknowledged by
// a real spine-mock on loopback, driven through the local API or the MHS-compatible front by a
// cheap load generator (LoadGenerator.hpp). Prints the figures of docs/performance.md.
//
//   bench_eps_throughput [--front api|mhs] [--mode max|rate] [--rate R] [--duration S]
//                        [--clients C] [--dispatch-threads N] [--count N] [--tls]
//                        [--set key=value]... [--poll-ms MS] [--latency-sample N] [--warmup S]
//                        [--instances N] [--store sqlite|postgresql] [--postgres-url URL]
//   bench_eps_throughput N [CLIENTS [DISPATCH_THREADS [tls]]]     (the older form: --count N)
//
// Run with --help for what each option does.

#include "EpsRequests.hpp"
#include "HttpWire.hpp"
#include "LoadGenerator.hpp"
#include "PostgresServer.hpp"
#include "ProcessHarness.hpp"
#include "ProcessStats.hpp"
#include "TlsHarness.hpp"

#include <gp/agent/Files.hpp>

#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <thread>

using namespace gp::test;
using namespace gp::bench;

namespace {

constexpr const char* kUsage =
    R"(bench_eps_throughput: EPS prescriptions accepted -> acknowledged, real processes on loopback

  --front api|mhs        drive the local API (default) or the MHS-compatible front
  --mode max|rate        max: closed loop, every client sends again as soon as it has its 202
                         rate: open loop at --rate requests/s, due times fixed in advance
  --rate R               offered rate for --mode rate (default 1000; giving it implies rate)
  --duration S           seconds of load (default 10; unlimited with --count)
  --count N              stop after N requests
  --clients C            kept-alive connections (default 6 on api, 4 on mhs). The local API
                         serves 8 connections at once and the MHS front 4; the benchmark keeps
                         one API connection for its polls, and a connection beyond that waits
                         (reported as never served). Open loop needs clients >= rate x 202 time
  --dispatch-threads N   agent dispatch.threads (default 2, the shipped default)
  --tls                  agent <-> spine-mock over mutual TLS (test PKI); else plain HTTP
  --set key=value        an extra agent setting (repeatable), e.g. --set dispatch.threads=4
  --poll-ms MS           how often to poll GET /v1/status for the acked count (default 500)
  --latency-sample N     messages whose createdAt/ackedAt are read after the run (default 10000)
  --warmup S             seconds left out of the steady window (default min(5, 20% of the run))
  --drain-timeout S      how long to wait after the load for every message to end (default 600)
  --store sqlite|postgresql
                         the agents' store engine (default sqlite). postgresql starts the
                         benchmark's own PostgreSQL server with the durable defaults (fsync on)
                         unless --postgres-url names one; either way in a fresh schema
  --postgres-url URL     an existing server to use (libpq URI) instead of starting one
  --instances N          gp-agent instances sharing the store, a hosted fleet (default 1; more
                         needs --store postgresql). The clients go to their local APIs (or MHS
                         fronts) in turn; the default --clients is the one-instance default
                         times N

  Older form: bench_eps_throughput N [CLIENTS [DISPATCH_THREADS [tls]]] = --count N --clients C ...
)";

// Poco serves each kept-alive connection on one of its threads: the local API has 8 (one kept
// for the benchmark's polls), the MHS front 4 (LocalApi.hpp, MhsFront.hpp).
constexpr int kApiClients = 6;
constexpr int kMhsClients = 4;

struct Options {
    std::string front = "api";
    bool openLoop = false;
    double rate = 1000;
    double duration = 10;
    std::uint64_t count = 0;
    int clients = 0; // 0: as many as the front serves at once (kApiClients, kMhsClients)
    int dispatchThreads = 2;
    bool tls = false;
    std::vector<std::string> settings;
    int pollMs = 500;
    std::size_t latencySample = 10000;
    double warmup = -1;
    double drainTimeout = 600;
    int instances = 1;
    std::string store = "sqlite";
    std::string postgresUrl; // empty: the benchmark starts its own server
};

[[noreturn]] void usageError(const std::string& problem) {
    std::fprintf(stderr, "bench_eps_throughput: %s (see --help)\n", problem.c_str());
    std::exit(2);
}

constexpr std::string_view kValueOptions[] = {"--front",
                                              "--mode",
                                              "--rate",
                                              "--duration",
                                              "--count",
                                              "--clients",
                                              "--dispatch-threads",
                                              "--set",
                                              "--poll-ms",
                                              "--latency-sample",
                                              "--warmup",
                                              "--drain-timeout",
                                              "--instances",
                                              "--store",
                                              "--postgres-url"};

Options parseOptions(int argc, char** argv) {
    Options options;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (!args.empty() && std::isdigit(static_cast<unsigned char>(args[0][0]))) {
        options.count = std::stoull(args[0]);
        options.duration = 0;
        options.clients = args.size() > 1 ? std::stoi(args[1]) : 4; // the old default
        options.dispatchThreads = args.size() > 2 ? std::stoi(args[2]) : options.dispatchThreads;
        options.tls = args.size() > 3 && args[3] == "tls";
        return options;
    }
    bool durationGiven = false;
    bool modeGiven = false;
    bool rateGiven = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string name = args[i];
        std::string value;
        const auto equals = name.find('=');
        const bool flag = name == "--tls" || name == "--help" || name == "-h";
        if (equals != std::string::npos && name.rfind("--set", 0) != 0) {
            value = name.substr(equals + 1);
            name = name.substr(0, equals);
        } else if (!flag) {
            if (std::find(std::begin(kValueOptions), std::end(kValueOptions), name) ==
                std::end(kValueOptions)) {
                usageError("unknown option " + name);
            }
            if (i + 1 >= args.size()) {
                usageError(name + " needs a value");
            }
            value = args[++i];
        }
        try {
            if (name == "--help" || name == "-h") {
                std::fputs(kUsage, stdout);
                std::exit(0);
            } else if (name == "--tls") {
                options.tls = true;
            } else if (name == "--front") {
                options.front = value;
            } else if (name == "--mode") {
                modeGiven = true;
                options.openLoop = value == "rate";
                if (value != "rate" && value != "max") {
                    usageError("--mode is max or rate");
                }
            } else if (name == "--rate") {
                rateGiven = true;
                options.rate = std::stod(value);
            } else if (name == "--duration") {
                durationGiven = true;
                options.duration = std::stod(value);
            } else if (name == "--count") {
                options.count = std::stoull(value);
            } else if (name == "--clients") {
                options.clients = std::stoi(value);
            } else if (name == "--dispatch-threads") {
                options.dispatchThreads = std::stoi(value);
            } else if (name == "--set") {
                options.settings.push_back(value);
            } else if (name == "--poll-ms") {
                options.pollMs = std::max(10, std::stoi(value));
            } else if (name == "--latency-sample") {
                options.latencySample = std::stoull(value);
            } else if (name == "--warmup") {
                options.warmup = std::stod(value);
            } else if (name == "--drain-timeout") {
                options.drainTimeout = std::stod(value);
            } else if (name == "--instances") {
                options.instances = std::stoi(value);
            } else if (name == "--store") {
                options.store = value;
            } else if (name == "--postgres-url") {
                options.postgresUrl = value;
                options.store = "postgresql";
            } else {
                usageError("unknown option " + name);
            }
        } catch (const std::logic_error&) { // std::stoi and friends
            usageError(name + ": '" + value + "' is not a number");
        }
    }
    if (options.front != "api" && options.front != "mhs") {
        usageError("--front is api or mhs");
    }
    if (rateGiven && !modeGiven) {
        options.openLoop = true;
    }
    if (options.count > 0 && !durationGiven) {
        options.duration = 0;
    }
    if (options.store != "sqlite" && options.store != "postgresql") {
        usageError("--store is sqlite or postgresql");
    }
    if (options.instances < 1 || (options.instances > 1 && options.store != "postgresql")) {
        usageError("--instances is 1, or more with --store postgresql (instances share the store)");
    }
    if (options.clients == 0) {
        options.clients = (options.front == "api" ? kApiClients : kMhsClients) * options.instances;
    }
    if (options.clients < 1 || options.rate <= 0 || (options.duration <= 0 && options.count == 0)) {
        usageError("needs --clients >= 1, --rate > 0 and a --duration or a --count");
    }
    return options;
}

std::string readTrimmed(const std::filesystem::path& file) {
    std::string text = gp::agent::readWholeFile(file);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

double epochMillis(const std::string& iso) {
    int tz = 0;
    const auto time = Poco::DateTimeParser::parse("%Y-%m-%dT%H:%M:%S.%iZ", iso, tz);
    return static_cast<double>(time.timestamp().epochMicroseconds()) / 1000.0;
}

template <typename T>
double percentile(std::vector<T>& sorted, double p) {
    if (sorted.empty()) {
        return NAN;
    }
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return static_cast<double>(sorted[std::min(index, sorted.size() - 1)]);
}

/// One look at the agent's counts, `seconds` after the load began.
struct Sample {
    double seconds = 0;
    std::uint64_t accepted = 0; // 202s the generator had seen
    long acked = 0;
    long ended = 0; // acked, failed or expired
};

struct CpuSnapshot {
    double agent = 0; // every instance's
    double mock = 0;
    double self = 0;
    double postgres = 0; // the benchmark's own server and its backends; 0 without one
};

/// Rates between two samples.
struct WindowRates {
    double from = 0;
    double to = 0;
    double accepted = 0;
    double acked = 0;
    double lowestAcked = NAN; // lowest over any slice of kSliceSeconds inside the window
};

constexpr double kSliceSeconds = 5;
// The sample taken when the last reply of a timed load came in is a little after its end.
constexpr double kEndSlackSeconds = 0.25;

WindowRates steadyRates(const std::vector<Sample>& samples, double from, double to) {
    const Sample* first = nullptr;
    const Sample* last = nullptr;
    for (const auto& sample : samples) {
        if (sample.seconds >= from && !first) {
            first = &sample;
        }
        if (sample.seconds <= to + kEndSlackSeconds) {
            last = &sample;
        }
    }
    if (!first || !last || last->seconds - first->seconds < 0.5) {
        // Too short for a steady window: the whole load, first sample to last.
        first = &samples.front();
        last = &samples.back();
    }
    WindowRates rates;
    rates.from = first->seconds;
    rates.to = last->seconds;
    const double span = std::max(1e-9, last->seconds - first->seconds);
    rates.accepted = static_cast<double>(last->accepted - first->accepted) / span;
    rates.acked = static_cast<double>(last->acked - first->acked) / span;
    for (const Sample* a = first; a < last; ++a) {
        for (const Sample* b = a + 1; b <= last; ++b) {
            if (b->seconds - a->seconds >= kSliceSeconds) {
                const double rate =
                    static_cast<double>(b->acked - a->acked) / (b->seconds - a->seconds);
                rates.lowestAcked =
                    std::isnan(rates.lowestAcked) ? rate : std::min(rates.lowestAcked, rate);
                break;
            }
        }
    }
    return rates;
}

class Bench {
public:
    explicit Bench(Options options) : m_options(std::move(options)) {}

    int run() {
        startProcesses();
        // Counts and messages are read from the first instance: a shared store answers for all.
        KeepAliveClient api(m_agents.front()->apiPort(), m_tokens.front());
        std::vector<std::unique_ptr<RequestStream>> streams;
        std::vector<LoadTarget> targets;
        for (std::size_t i = 0; i < m_agents.size(); ++i) {
            const int port =
                m_options.front == "api" ? m_agents[i]->apiPort() : mhsPort(*m_agents[i]);
            streams.push_back(m_options.front == "api" ? localApiPrescriptions(port, m_tokens[i])
                                                       : mhsFrontPrescriptions(port));
            targets.push_back({port, streams.back().get()});
        }
        LoadPlan plan;
        plan.connections = m_options.clients;
        plan.ratePerSecond = m_options.openLoop ? m_options.rate : 0;
        plan.durationSeconds = m_options.duration;
        plan.maxRequests = m_options.count;
        LoadGenerator generator(targets, plan);

        std::vector<Sample> samples;
        const auto start = SteadyClock::now();
        const auto elapsed = [&] {
            return std::chrono::duration<double>(SteadyClock::now() - start).count();
        };
        const auto sample = [&] {
            auto status = parseJsonObject(api.get("/v1/status").body)->getObject("counts");
            const long acked = status->getValue<long>("acked");
            samples.push_back(
                {elapsed(), generator.acceptedSoFar(), acked,
                 acked + status->getValue<long>("failed") + status->getValue<long>("expired")});
        };
        const CpuSnapshot atStart = cpuNow();
        sample();

        LoadResult load;
        std::atomic<bool> loadDone{false};
        // A jthread: if a poll throws (the agent died), unwinding waits for the load to end.
        std::jthread driver([&] {
            load = generator.run(start);
            loadDone = true;
        });
        const auto pollEvery = std::chrono::milliseconds(m_options.pollMs);
        for (auto next = start + pollEvery; !loadDone; next += pollEvery) {
            while (!loadDone && SteadyClock::now() < next) {
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
            if (!loadDone) {
                sample();
            }
        }
        driver.join();
        const CpuSnapshot atLoadEnd = cpuNow();
        sample();
        const double loadEndSeconds = samples.back().seconds;
        const std::size_t loadSamples = samples.size();

        // Drain: every accepted message acked, failed or expired.
        const auto accepted = static_cast<long>(load.accepted.size());
        bool drained = samples.back().ended >= accepted;
        const auto drainDeadline =
            SteadyClock::now() + std::chrono::duration<double>(m_options.drainTimeout);
        while (!drained && SteadyClock::now() < drainDeadline) {
            std::this_thread::sleep_for(pollEvery);
            sample();
            drained = samples.back().ended >= accepted;
        }
        const CpuSnapshot atDrained = cpuNow();
        const Sample finalCounts = samples.back();
        double agentRss = 0; // the largest instance's
        for (const auto& agent : m_agents) {
            agentRss = std::max(agentRss, peakRssMegabytes(agent->pid()));
        }
        const double mockRss = peakRssMegabytes(m_mock->pid());

        // Latency from the agent's own timestamps (milliseconds in its store), read for an even
        // sample of the accepted messages once everything has ended, so reading costs nothing
        // inside the measured window.
        std::vector<double> latencies;
        std::size_t sampledNotAcked = 0;
        const std::size_t step = std::max<std::size_t>(
            1, load.accepted.size() / std::max<std::size_t>(1, m_options.latencySample));
        for (std::size_t i = 0; i < load.accepted.size(); i += step) {
            const std::string id(load.accepted[i].id.data(), load.accepted[i].id.size());
            const auto reply = api.get("/v1/messages/" + id);
            if (reply.status != 200) {
                ++sampledNotAcked;
                continue;
            }
            const auto message = parseJsonObject(reply.body);
            if (message->getValue<std::string>("state") != "acked") {
                ++sampledNotAcked;
                continue;
            }
            latencies.push_back(epochMillis(message->getValue<std::string>("ackedAt")) -
                                epochMillis(message->getValue<std::string>("createdAt")));
        }
        std::sort(latencies.begin(), latencies.end());
        std::vector<float> acceptLatencies;
        acceptLatencies.reserve(load.accepted.size());
        for (const auto& message : load.accepted) {
            acceptLatencies.push_back(message.acceptedMs);
        }
        std::sort(acceptLatencies.begin(), acceptLatencies.end());

        const double runSeconds = m_options.duration > 0 ? m_options.duration : loadEndSeconds;
        const double warmup =
            m_options.warmup >= 0 ? m_options.warmup : std::min(5.0, 0.2 * runSeconds);
        const WindowRates steady = steadyRates(
            std::vector<Sample>(samples.begin(), samples.begin() + static_cast<long>(loadSamples)),
            warmup, runSeconds);

        // ---- report ----
        std::printf("eps_throughput: front %s, %s, %d client%s, dispatch.threads %d, %s\n",
                    m_options.front == "api" ? "local API" : "MHS", modeText().c_str(),
                    m_options.clients, m_options.clients == 1 ? "" : "s", m_options.dispatchThreads,
                    m_options.tls ? "mutual TLS" : "plain HTTP");
        std::printf("  store: %s", m_options.store.c_str());
        if (m_options.store == "postgresql") {
            std::printf(", %d instance%s sharing it, %s", m_options.instances,
                        m_options.instances == 1 ? "" : "s",
                        m_postgres ? "the benchmark's own server (fsync on)"
                                   : "the server given by --postgres-url");
        }
        std::printf("\n");
        for (const auto& setting : m_options.settings) {
            std::printf("  setting: %s\n", setting.c_str());
        }
        std::printf("  requests: sent %llu, accepted %zu, refused %llu%s, lost %llu, broken "
                    "connections %llu, connections never served %d\n",
                    static_cast<unsigned long long>(load.sent), load.accepted.size(),
                    static_cast<unsigned long long>(refusedCount(load)), refusalText(load).c_str(),
                    static_cast<unsigned long long>(load.lostRequests),
                    static_cast<unsigned long long>(load.connectionFailures),
                    load.connectionsNeverServed);
        std::printf("  load: %.2f s (first send to last 202); steady window %.1f-%.1f s\n",
                    load.loadSeconds, steady.from, steady.to);
        std::printf("  accepted/s (steady window): %.0f\n", steady.accepted);
        std::printf("  acked/s    (steady window): %.0f", steady.acked);
        if (!std::isnan(steady.lowestAcked)) {
            std::printf("  (lowest %.0f-s slice: %.0f)", kSliceSeconds, steady.lowestAcked);
        }
        std::printf("\n  after the load: %s %.2f s (acked %ld, ended %ld of %ld accepted)\n",
                    drained ? "every message ended within" : "NOT all ended within",
                    finalCounts.seconds - loadEndSeconds, finalCounts.acked, finalCounts.ended,
                    accepted);
        std::printf(
            "  latency accept -> acked (agent createdAt/ackedAt, 1 ms resolution; %zu "
            "sampled%s): p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
            latencies.size(),
            sampledNotAcked ? (", " + std::to_string(sampledNotAcked) + " not acked").c_str() : "",
            percentile(latencies, 0.50), percentile(latencies, 0.99), percentile(latencies, 1.0));
        std::printf("  HTTP 202 round trip (%s): p50 %.2f ms, p99 %.2f ms, max %.1f ms%s\n",
                    m_options.openLoop ? "from the due time" : "from the send",
                    percentile(acceptLatencies, 0.50), percentile(acceptLatencies, 0.99),
                    percentile(acceptLatencies, 1.0),
                    m_options.openLoop ? (", worst send lag " +
                                          std::to_string(static_cast<int>(load.worstLagMs)) + " ms")
                                             .c_str()
                                       : "");
        const double acked = static_cast<double>(std::max(1L, finalCounts.acked));
        std::printf("  CPU ms per acked message (load + drain): gp-agent %.3f, spine-mock %.3f, "
                    "load generator + polls %.3f",
                    (atDrained.agent - atStart.agent) / acked,
                    (atDrained.mock - atStart.mock) / acked,
                    (atDrained.self - atStart.self) / acked);
        if (m_postgres) {
            std::printf(", PostgreSQL %.3f", (atDrained.postgres - atStart.postgres) / acked);
        }
        std::printf("\n");
        const double loadMs = std::max(1.0, loadEndSeconds * 1000.0);
        std::printf("  CPU during the load, in cores: gp-agent %.2f, spine-mock %.2f, load "
                    "generator + polls %.2f",
                    (atLoadEnd.agent - atStart.agent) / loadMs,
                    (atLoadEnd.mock - atStart.mock) / loadMs,
                    (atLoadEnd.self - atStart.self) / loadMs);
        if (m_postgres) {
            std::printf(", PostgreSQL %.2f", (atLoadEnd.postgres - atStart.postgres) / loadMs);
        }
        std::printf("\n  peak RSS (VmHWM): gp-agent %.1f MB%s, spine-mock %.1f MB\n", agentRss,
                    m_agents.size() > 1 ? " (the largest instance)" : "", mockRss);
        std::printf(
            "RESULT front=%s mode=%s clients=%d dispatch_threads=%d accepted_per_s=%.0f "
            "acked_per_s=%.0f p50_ms=%.0f p99_ms=%.0f max_ms=%.0f agent_cpu_ms_per_msg=%.3f "
            "agent_rss_mb=%.1f mock_rss_mb=%.1f store=%s instances=%d "
            "postgres_cpu_ms_per_msg=%.3f\n",
            m_options.front.c_str(), m_options.openLoop ? "rate" : "max", m_options.clients,
            m_options.dispatchThreads, steady.accepted, steady.acked, percentile(latencies, 0.50),
            percentile(latencies, 0.99), percentile(latencies, 1.0),
            (atDrained.agent - atStart.agent) / acked, agentRss, mockRss, m_options.store.c_str(),
            m_options.instances, (atDrained.postgres - atStart.postgres) / acked);
        std::fflush(stdout);

        for (const auto& agent : m_agents) {
            agent->stop();
        }
        m_mock->stop();
        if (load.accepted.empty() || !drained || finalCounts.acked == 0) {
            std::fprintf(
                stderr, "bench_eps_throughput: the run did not complete%s%s\n",
                load.firstRefusal.empty() ? "" : "; first refusal: ", load.firstRefusal.c_str());
            return 1;
        }
        return 0;
    }

private:
    void startProcesses() {
        m_mock = std::make_unique<SpineMock>(m_dir.path() / "mock",
                                             (m_options.tls ? spineMockTlsConfig() : "") +
                                                 "mock.logLevel = warning\n");
        if (m_options.tls) {
            m_mock->useTls(tlsClientContext("practice-a"));
        }
        m_mock->start();
        std::string config = "dispatch.threads = " + std::to_string(m_options.dispatchThreads) +
                             "\nlog.level = warning\n";
        if (m_options.tls) {
            config += agentTlsConfig("practice-a");
        }
        if (m_options.front == "mhs") {
            config += "mhs.enabled = true\nmhs.port = 0\n";
        }
        for (const auto& setting : m_options.settings) {
            const auto equals = setting.find('=');
            config += equals == std::string::npos
                          ? setting + "\n"
                          : setting.substr(0, equals) + " = " + setting.substr(equals + 1) + "\n";
        }
        if (m_options.store == "postgresql") {
            startPostgres();
            // One schema for the fleet, message bodies in one directory they all reach.
            config += "store.engine = postgresql\nstore.url = " + m_schema->url() +
                      "\nstore.filesDir = " + (m_dir.path() / "files").string() + "\n";
        }
        for (int i = 0; i < m_options.instances; ++i) {
            const std::string instance = "agent-" + std::to_string(i + 1);
            const std::string ownConfig =
                config + (m_schema ? "store.instance = " + instance + "\n" : std::string());
            m_agents.push_back(
                std::make_unique<Agent>(m_dir.path() / instance, m_mock->baseUrl(), ownConfig));
            m_agents.back()->start();
            m_tokens.push_back(readTrimmed(m_agents.back()->stateDir() / "api-token"));
        }
        // Printed first, so a profiler can attach while the load runs (docs/performance.md).
        std::printf("processes: gp-agent pid");
        for (const auto& agent : m_agents) {
            std::printf(" %d", agent->pid());
        }
        std::printf(", spine-mock pid %d", m_mock->pid());
        if (m_postgres) {
            std::printf(", postgres pid %d", m_postgres->pid());
        }
        std::printf("\n");
        std::fflush(stdout);
    }

    void startPostgres() {
        std::string serverUrl = m_options.postgresUrl;
        if (serverUrl.empty()) {
            m_postgres = std::make_unique<PostgresServer>(m_dir.path() / "postgres");
            serverUrl = m_postgres->url();
        }
        m_schema = std::make_unique<PostgresTestDatabase>(serverUrl);
    }

    static int mhsPort(const Agent& agent) {
        return parseJsonObject(gp::agent::readWholeFile(agent.stateDir() / "ports.json"))
            ->getValue<int>("mhs");
    }

    CpuSnapshot cpuNow() const {
        CpuSnapshot snapshot{0, cpuMillis(m_mock->pid()), ownCpuMillis(), 0};
        for (const auto& agent : m_agents) {
            snapshot.agent += cpuMillis(agent->pid());
        }
        if (m_postgres) {
            snapshot.postgres = processTreeCpuMillis(m_postgres->pid());
        }
        return snapshot;
    }

    std::string modeText() const {
        char text[160];
        if (m_options.openLoop) {
            std::snprintf(text, sizeof text, "rate %.0f/s (open loop)", m_options.rate);
        } else {
            std::snprintf(text, sizeof text, "max (closed loop)");
        }
        std::string mode = text;
        if (m_options.duration > 0) {
            std::snprintf(text, sizeof text, ", %.0f s", m_options.duration);
            mode += text;
        }
        if (m_options.count > 0) {
            mode += ", at most " + std::to_string(m_options.count) + " requests";
        }
        return mode;
    }

    static std::uint64_t refusedCount(const LoadResult& load) {
        std::uint64_t refused = 0;
        for (const auto& [status, count] : load.refusedByStatus) {
            refused += count;
        }
        return refused;
    }

    static std::string refusalText(const LoadResult& load) {
        std::string text;
        for (const auto& [status, count] : load.refusedByStatus) {
            text += (text.empty() ? " (" : ", ") + std::to_string(count) + " x HTTP " +
                    std::to_string(status);
        }
        return text.empty() ? text : text + ")";
    }

    Options m_options;
    TempDir m_dir{"gp-bench-eps"};
    // Declared before the processes, so that they stop before the schema and the server go.
    std::unique_ptr<PostgresServer> m_postgres; // null: SQLite, or a server given by URL
    std::unique_ptr<PostgresTestDatabase> m_schema;
    std::unique_ptr<SpineMock> m_mock;
    std::vector<std::unique_ptr<Agent>> m_agents;
    std::vector<std::string> m_tokens;
};

} // namespace

int main(int argc, char** argv) {
    const Options options = parseOptions(argc, argv);
    if (options.store == "postgresql" && options.postgresUrl.empty() &&
        !PostgresServer::available()) {
        std::printf("bench_eps_throughput: skipped, no PostgreSQL server binaries (Debian: "
                    "apt-get install postgresql)\n");
        return 77; // ctest's SKIP_RETURN_CODE for the smoke run
    }
    try {
        return Bench(options).run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "bench_eps_throughput: %s\n", error.what());
        return 1;
    }
}
