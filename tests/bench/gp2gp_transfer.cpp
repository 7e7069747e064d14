// Benchmark, not a test: moves one generated record (default 100 MB of documents) from
// practice A's record source to practice B's import folder through spine-mock, with two real
// gp-agent processes, and reports the wall time, when each phase of the transfer was reached
// and the peak RSS of each process (both agents and spine-mock).
//
//   build/ci/tests/bench/bench_gp2gp_transfer [MEGABYTES=100] [DOCUMENTS=1]
//
// MEGABYTES are MiB, split evenly over DOCUMENTS. Receiving systems cap one document at 100 MiB
// and a record at 375 MiB (PROTOCOL.md §2, gp2gp.maxAttachmentBytes and maxRecordBytes), so a
// 375 MiB record needs at least four documents.

#include "ProcessHarness.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

using namespace gp::test;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    const long megabytes = argc > 1 ? std::atol(argv[1]) : 100;
    const int documents = argc > 2 ? std::atoi(argv[2]) : 1;
    const std::string nhsNumber = "9449304130";

    TempDir dir("gp-bench-gp2gp");
    const fs::path records = dir.path() / "records";
    const fs::path folder = records / nhsNumber;
    fs::create_directories(folder);
    // Generated at run time, never committed: pseudo-random bytes so nothing compresses away.
    std::string attachments;
    std::uint64_t xorshift = 88172645463325252ULL;
    const std::size_t perDocument =
        static_cast<std::size_t>(megabytes) * 1024 * 1024 / static_cast<std::size_t>(documents);
    if (perDocument > std::size_t{100} * 1024 * 1024) {
        std::fprintf(stderr,
                     "note: %zu bytes per document is over the 100 MiB a receiver takes; "
                     "expect the transfer to be refused (use more documents)\n",
                     perDocument);
    }
    for (int d = 0; d < documents; ++d) {
        const std::string name = "scan-" + std::to_string(d) + ".bin";
        std::ofstream out(folder / name, std::ios::binary);
        std::string chunk(1 << 20, '\0');
        for (std::size_t written = 0; written < perDocument; written += chunk.size()) {
            for (auto& c : chunk) {
                xorshift ^= xorshift << 13;
                xorshift ^= xorshift >> 7;
                xorshift ^= xorshift << 17;
                c = static_cast<char>(xorshift);
            }
            out.write(chunk.data(),
                      static_cast<std::streamsize>(std::min(chunk.size(), perDocument - written)));
        }
        attachments += std::string(d ? ", " : "") + R"({"file": ")" + name +
                       R"(", "contentType": "application/octet-stream"})";
    }
    std::ofstream(folder / "record.json")
        << R"({"patient": {"nhsNumber": ")" << nhsNumber
        << R"("}, "compositions": [{"title": "Consultation", "effectiveTime": "2024-01-05",
              "entries": [{"kind": "narrative", "text": "Seen."}]}], "attachments": [)"
        << attachments << "]}";

    SpineMock mock(dir.path() / "mock", "mock.logLevel = warning\n");
    mock.start();
    Agent a(dir.path() / "a", mock.baseUrl(),
            "log.level = warning\ngp2gp.recordSource = " + records.string() + "\n",
            {"A83008", "A83008-9199121", "200000001234"});
    Agent b(dir.path() / "b", mock.baseUrl(),
            "log.level = warning\ngp2gp.importDir = " + (dir.path() / "import").string() + "\n",
            {"B86041", "B86041-9199122", "200000005678"});
    a.start();
    b.start();
    mock.registerPractice("A83008", "A83008-9199121", "200000001234", a.inboundUrl());
    mock.registerPractice("B86041", "B86041-9199122", "200000005678", b.inboundUrl());

    const auto started = std::chrono::steady_clock::now();
    auto reply = b.api().post("/v1/gp2gp/requests",
                              R"({"nhsNumber": ")" + nhsNumber + R"(", "fromOdsCode": "A83008"})");
    if (reply.status != 202) {
        std::fprintf(stderr, "request refused: %s\n", reply.body.c_str());
        return 1;
    }
    const auto id = parseJsonObject(reply.body)->getValue<std::string>("conversationId");
    // Polls both sides and notes when each state (and, at the requester, the first and the last
    // received byte) was first seen: the phases of the transfer.
    const auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    std::map<std::string, double> firstSeen;
    std::vector<std::string> order;
    const auto note = [&](const std::string& phase) {
        if (firstSeen.emplace(phase, seconds(std::chrono::steady_clock::now() - started)).second) {
            order.push_back(phase);
        }
    };
    const auto poll = [&](const Agent& agent, const std::string& side) {
        auto view = agent.api().get("/v1/gp2gp/transfers/" + id);
        if (view.status != 200) {
            return std::string();
        }
        const auto object = parseJsonObject(view.body);
        const auto state = object->getValue<std::string>("state");
        note(side + " " + state);
        const auto done = object->optValue<Poco::Int64>("bytesDone", 0);
        const auto expected = object->optValue<Poco::Int64>("bytesExpected", 0);
        if (side == "B" && done > 0) {
            note("B first document bytes stored");
        }
        if (side == "B" && expected > 0 && done >= expected) {
            note("B every document's bytes stored");
        }
        return state;
    };
    std::string stateA;
    std::string stateB;
    bool imported = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    std::optional<std::chrono::steady_clock::time_point> importedAt;
    while (std::chrono::steady_clock::now() < deadline) {
        stateB = poll(b, "B");
        stateA = poll(a, "A");
        if (!importedAt && (stateB == "complete" || stateB == "closed" || stateB == "failed")) {
            importedAt = std::chrono::steady_clock::now();
            imported = stateB != "failed";
        }
        if ((stateA == "closed" || stateA == "failed") &&
            (stateB == "closed" || stateB == "failed")) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20)); // sampling, not waiting
    }
    const auto closedAt = std::chrono::steady_clock::now();
    if (!importedAt) {
        importedAt = closedAt;
    }

    std::printf("gp2gp_transfer: %ld MB in %d document(s)\n", megabytes, documents);
    std::printf("  record source -> import folder: %.2f s%s\n", seconds(*importedAt - started),
                imported ? "" : " (FAILED or timed out)");
    std::printf("  until both sides closed: %.2f s%s\n", seconds(closedAt - started),
                stateA == "closed" && stateB == "closed" ? "" : " (NOT both closed)");
    std::printf("  phases (first seen, s after the request):\n");
    for (const auto& phase : order) {
        std::printf("    %6.2f  %s\n", firstSeen[phase], phase.c_str());
    }
    std::printf("  peak RSS: practice A (sender) %.1f MB, practice B (requester) %.1f MB, "
                "spine-mock %.1f MB\n",
                static_cast<double>(peakRssKb(a.pid())) / 1024.0,
                static_cast<double>(peakRssKb(b.pid())) / 1024.0,
                static_cast<double>(peakRssKb(mock.pid())) / 1024.0);
    a.stop();
    b.stop();
    mock.stop();
    return imported ? 0 : 1;
}
