// Benchmark, not a test: submits N prescriptions to a real gp-agent through its local API from
// C concurrent clients, lets it send them to a real spine-mock on loopback, and reports
// messages per second (first accept to last acknowledgement) and p50/p99 latency
// (accept → acked, from the agent's own createdAt/ackedAt).
//
//   build/ci/tests/bench/bench_eps_throughput [N=1000] [clients=4] [dispatch threads=2] [tls]
//
// With `tls` the agent and spine-mock talk mutual TLS (test PKI, docs/security.md); otherwise
// plain HTTP with test.allowPlainHttp, as the integration tests run.

#include "ProcessHarness.hpp"
#include "TlsHarness.hpp"

#include <Poco/DateTimeParser.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

using namespace gp::test;

namespace {

double epochMillis(const std::string& iso) {
    int tz = 0;
    const auto time = Poco::DateTimeParser::parse("%Y-%m-%dT%H:%M:%S.%iZ", iso, tz);
    return static_cast<double>(time.timestamp().epochMicroseconds()) / 1000.0;
}

double percentile(std::vector<double> values, double p) {
    std::sort(values.begin(), values.end());
    const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(index, values.size() - 1)];
}

} // namespace

int main(int argc, char** argv) {
    const int total = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int clients = argc > 2 ? std::atoi(argv[2]) : 4;
    const int dispatchThreads = argc > 3 ? std::atoi(argv[3]) : 2;
    const bool tls = argc > 4 && std::string(argv[4]) == "tls";

    TempDir dir("gp-bench");
    SpineMock mock(dir.path() / "mock", tls ? spineMockTlsConfig() : "");
    if (tls) {
        mock.useTls(tlsClientContext("practice-a"));
    }
    mock.start();
    Agent agent(dir.path() / "agent", mock.baseUrl(),
                "dispatch.threads = " + std::to_string(dispatchThreads) +
                    "\nlog.level = warning\n" + (tls ? agentTlsConfig("practice-a") : ""));
    agent.start();

    std::vector<std::string> ids;
    std::mutex idsMutex;
    std::atomic<int> next{0};
    std::atomic<int> refused{0};
    const std::string body = prescriptionJson();
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&] {
            auto api = agent.api();
            while (next.fetch_add(1) < total) {
                auto reply = api.post("/v1/eps/prescriptions", body);
                if (reply.status != 202) {
                    ++refused;
                    continue;
                }
                auto id = parseJsonObject(reply.body)->getValue<std::string>("messageId");
                std::lock_guard lock(idsMutex);
                ids.push_back(std::move(id));
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    const auto submitted = std::chrono::steady_clock::now();
    const bool done = waitUntil(
        [&] {
            auto status = parseJsonObject(agent.api().get("/v1/status").body);
            auto counts = status->getObject("counts");
            return counts->getValue<int>("acked") + counts->getValue<int>("failed") +
                       counts->getValue<int>("expired") >=
                   static_cast<int>(ids.size());
        },
        std::chrono::minutes(10));
    const auto finished = std::chrono::steady_clock::now();

    std::vector<double> latencies;
    double firstAccept = 1e300;
    double lastAck = 0;
    for (const auto& id : ids) {
        auto message = agent.message(id);
        if (message->getValue<std::string>("state") != "acked") {
            continue;
        }
        const double created = epochMillis(message->getValue<std::string>("createdAt"));
        const double acked = epochMillis(message->getValue<std::string>("ackedAt"));
        latencies.push_back(acked - created);
        firstAccept = std::min(firstAccept, created);
        lastAck = std::max(lastAck, acked);
    }
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::printf("eps_throughput: %d messages, %d clients, %d dispatch threads, %s\n", total,
                clients, dispatchThreads, tls ? "mutual TLS" : "plain HTTP");
    std::printf("  accepted %zu, refused %d, acked %zu%s\n", ids.size(), refused.load(),
                latencies.size(), done ? "" : " (timed out waiting)");
    std::printf("  submit phase: %.2f s (%.0f accepted/s)\n", seconds(submitted - started),
                static_cast<double>(ids.size()) / seconds(submitted - started));
    std::printf("  wall time to last ack: %.2f s\n", seconds(finished - started));
    if (!latencies.empty()) {
        const double window = (lastAck - firstAccept) / 1000.0;
        std::printf("  throughput (first accept -> last ack): %.0f messages/s\n",
                    static_cast<double>(latencies.size()) / window);
        std::printf("  latency accept -> acked: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                    percentile(latencies, 0.50), percentile(latencies, 0.99),
                    percentile(latencies, 1.0));
    }
    agent.stop();
    mock.stop();
    return done ? 0 : 1;
}
