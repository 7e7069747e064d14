// Benchmark, not a test: spine-mock alone. Starts a real spine-mock and drives its EPS endpoint
// (POST /reliablemessaging/reliablerequest) from C kept-alive connections, each sending valid
// PORX_IN020101SM31 ebXML messages back to back until N have been answered. Reports requests/s,
// p50/p99 latency, the mock's CPU per request and peak RSS, and this load generator's own CPU, so
// that the agent's benchmarks can tell whether the mock is their bottleneck.
//
//   build/<dir>/tests/bench/bench_spine_mock [N=20000] [connections=8] [tls]
//
// The load generator is deliberately cheap, since it shares the cores with the mock: every
// request (HTTP head and body) is serialised before the clock starts, and each connection is one
// thread doing a blocking write and a minimal response read (status line, Content-Length).

#include "HttpWire.hpp"
#include "ProcessHarness.hpp"
#include "ProcessStats.hpp"
#include "SeededRandom.hpp"
#include "SpinePrescriptions.hpp"
#include "TlsHarness.hpp"

#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace gp::test;
namespace messaging = gp::messaging;

namespace {

using Clock = std::chrono::steady_clock;

/// One ParentPrescription with its own MessageId and prescription id, as a complete HTTP request.
std::string prescriptionRequest(SeededRandom& random, int port) {
    PrescriptionIds ids;
    ids.prescriptionId = messaging::ids::newPrescriptionId("A83008", random);
    ids.prescriptionUuid = messaging::ids::newUuid(random);
    ids.itemUuid = messaging::ids::newUuid(random);
    ids.messageId = messaging::ids::newUuid(random);
    const auto http = spinePrescriptionMessage(ids);
    std::ostringstream request;
    request << "POST /reliablemessaging/reliablerequest HTTP/1.1\r\n"
            << "Host: 127.0.0.1:" << port << "\r\n"
            << "Content-Type: " << http.contentType << "\r\n"
            << "SOAPAction: " << http.soapAction << "\r\n"
            << "Content-Length: " << http.body.size() << "\r\n\r\n"
            << http.body;
    return request.str();
}

/// A reply read just far enough to judge it: its status and whether it is an HL7 acceptance.
struct Reply {
    int status = 0;
    bool accepted = false;
};

class Connection {
public:
    Connection(int port, Poco::Net::Context::Ptr tls) {
        if (tls) {
            m_socket = Poco::Net::SecureStreamSocket(
                Poco::Net::SocketAddress("localhost", static_cast<Poco::UInt16>(port)), tls);
        } else {
            m_socket.connect(
                Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
        }
        m_socket.setNoDelay(true);
    }

    Reply exchange(const std::string& request) {
        std::size_t sent = 0;
        while (sent < request.size()) {
            const int n =
                m_socket.sendBytes(request.data() + sent, static_cast<int>(request.size() - sent));
            if (n <= 0) {
                throw std::runtime_error("connection closed while sending");
            }
            sent += static_cast<std::size_t>(n);
        }
        m_buffer.clear();
        std::optional<gp::bench::ReplyFrame> frame;
        while (!(frame = gp::bench::frameReply(m_buffer))) {
            receiveMore();
        }
        Reply reply;
        reply.status = frame->status;
        reply.accepted = frame->body(m_buffer).find("typeCode=\"AA\"") != std::string_view::npos;
        return reply;
    }

private:
    void receiveMore() {
        char chunk[16 * 1024];
        const int n = m_socket.receiveBytes(chunk, sizeof chunk);
        if (n <= 0) {
            throw std::runtime_error("connection closed by spine-mock");
        }
        m_buffer.append(chunk, static_cast<std::size_t>(n));
    }

    Poco::Net::StreamSocket m_socket;
    std::string m_buffer;
};

double percentile(std::vector<double>& sorted, double p) {
    const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

} // namespace

int main(int argc, char** argv) {
    const int total = argc > 1 ? std::atoi(argv[1]) : 20000;
    const int connections = argc > 2 ? std::atoi(argv[2]) : 8;
    const bool tls = argc > 3 && std::string(argv[3]) == "tls";

    TempDir dir("gp-bench-mock");
    SpineMock mock(dir.path() / "mock", tls ? spineMockTlsConfig() : "");
    Poco::Net::Context::Ptr clientTls;
    if (tls) {
        clientTls = tlsClientContext("practice-a");
        mock.useTls(clientTls);
    }
    mock.start();

    SeededRandom random(20260315);
    std::vector<std::string> requests;
    requests.reserve(static_cast<std::size_t>(total));
    for (int i = 0; i < total; ++i) {
        requests.push_back(prescriptionRequest(random, mock.port()));
    }
    std::vector<Connection> open;
    for (int c = 0; c < connections; ++c) {
        open.emplace_back(mock.port(), clientTls);
    }

    std::atomic<int> next{0};
    std::atomic<int> failed{0};
    std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
    const double mockCpuBefore = gp::bench::cpuMillis(mock.pid());
    const double ownCpuBefore = gp::bench::ownCpuMillis();
    const auto started = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < connections; ++c) {
        threads.emplace_back([&, c] {
            auto& mine = latencies[static_cast<std::size_t>(c)];
            try {
                for (int i = next.fetch_add(1); i < total; i = next.fetch_add(1)) {
                    const auto sent = Clock::now();
                    const Reply reply = open[static_cast<std::size_t>(c)].exchange(
                        requests[static_cast<std::size_t>(i)]);
                    mine.push_back(
                        std::chrono::duration<double, std::milli>(Clock::now() - sent).count());
                    if (reply.status != 200 || !reply.accepted) {
                        ++failed;
                    }
                }
            } catch (const std::exception& error) {
                std::fprintf(stderr, "connection %d: %s\n", c, error.what());
                ++failed;
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const double mockCpu = gp::bench::cpuMillis(mock.pid()) - mockCpuBefore;
    const double ownCpu = gp::bench::ownCpuMillis() - ownCpuBefore;
    const double peakRss = gp::bench::peakRssMegabytes(mock.pid());

    std::vector<double> all;
    for (const auto& mine : latencies) {
        all.insert(all.end(), mine.begin(), mine.end());
    }
    std::sort(all.begin(), all.end());
    const auto journaled = mock.journal().size();

    std::printf("spine_mock_throughput: %d messages, %d kept-alive connections, %s\n", total,
                connections, tls ? "mutual TLS" : "plain HTTP");
    std::printf("  answered %zu, not an AA acceptance %d, journal entries %zu\n", all.size(),
                failed.load(), journaled);
    std::printf("  throughput: %.0f requests/s (%.2f s)\n",
                static_cast<double>(all.size()) / seconds, seconds);
    std::printf("  latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(all, 0.50),
                percentile(all, 0.99), percentile(all, 1.0));
    std::printf("  spine-mock CPU: %.0f ms, %.1f us per request; peak RSS %.1f MB\n", mockCpu,
                1000.0 * mockCpu / static_cast<double>(all.size()), peakRss);
    std::printf("  load generator CPU: %.0f ms, %.1f us per request\n", ownCpu,
                1000.0 * ownCpu / static_cast<double>(all.size()));
    mock.stop();
    return failed.load() == 0 && static_cast<int>(all.size()) == total ? 0 : 1;
}
