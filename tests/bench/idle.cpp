// Benchmark, not a test: what a gp-agent costs while it has nothing to do. Starts a real
// spine-mock and gp-agent, sends a few prescriptions (so every thread, pool and cache has been
// used once), waits until they are acknowledged, then watches the idle agent for a window and
// reports its memory (VmRSS, VmHWM, and where the resident pages are) and its wake-ups: the
// context switches of every thread over the window, per thread and named, so a thread that
// polls shows up by name.
//
//   build/ci/tests/bench/bench_idle [window seconds=10] [messages=5]

#include "ProcessHarness.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace gp::test;

namespace {

struct ThreadSample {
    std::string name;
    long switches = 0; // voluntary + nonvoluntary context switches so far
};

std::string firstLine(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
}

/// The named fields of /proc/<pid>/status (or of a task's status), in kB or counts.
std::map<std::string, long> statusFields(const std::filesystem::path& file) {
    std::map<std::string, long> fields;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) {
            continue;
        }
        std::istringstream value(line.substr(colon + 1));
        long number = 0;
        if (value >> number) {
            fields[line.substr(0, colon)] = number;
        }
    }
    return fields;
}

std::map<int, ThreadSample> sampleThreads(int pid) {
    std::map<int, ThreadSample> threads;
    std::error_code error;
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
        const int tid = std::stoi(task.path().filename().string());
        const auto fields = statusFields(task.path() / "status");
        const auto count = [&](const char* name) {
            const auto found = fields.find(name);
            return found == fields.end() ? 0L : found->second;
        };
        threads[tid] = {firstLine(task.path() / "comm"),
                        count("voluntary_ctxt_switches") + count("nonvoluntary_ctxt_switches")};
    }
    return threads;
}

/// Resident kB by kind of mapping, from /proc/<pid>/smaps: what we can shrink (heap, stacks,
/// the database's pages) apart from what every process linking these libraries pays. Files
/// are also counted one by one in `byFile`.
std::map<std::string, long> residentByKind(int pid, std::map<std::string, long>& byFile) {
    std::map<std::string, long> kinds;
    std::string file;
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
    std::string line;
    std::string kind;
    while (std::getline(in, line)) {
        if (line.empty()) {
            continue;
        }
        const bool header = std::isxdigit(static_cast<unsigned char>(line[0])) &&
                            line.find('-') != std::string::npos && line.find(':') > line.find(' ');
        if (header) {
            std::istringstream fields(line);
            std::string range, perms, offset, device, inode, path;
            fields >> range >> perms >> offset >> device >> inode;
            std::getline(fields >> std::ws, path);
            file = path.empty() || path[0] == '[' ? std::string()
                                                  : std::filesystem::path(path).filename().string();
            if (path.empty()) {
                kind = "anonymous (malloc arenas, thread stacks)";
            } else if (path == "[heap]") {
                kind = "[heap] (main malloc arena)";
            } else if (path[0] == '[') {
                kind = path;
            } else if (path.find(".so") != std::string::npos) {
                kind = "shared libraries";
            } else if (path.find("gp-agent") != std::string::npos &&
                       path.find(".db") == std::string::npos) {
                kind = "gp-agent executable";
            } else {
                kind = "other files (" + std::filesystem::path(path).filename().string() + ")";
            }
            continue;
        }
        if (line.rfind("Rss:", 0) == 0) {
            kinds[kind] += std::stol(line.substr(4));
            if (!file.empty()) {
                byFile[file] += std::stol(line.substr(4));
            }
        }
    }
    return kinds;
}

} // namespace

int main(int argc, char** argv) {
    const int windowSeconds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
    const int messages = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;

    TempDir dir("gp-bench-idle");
    SpineMock mock(dir.path() / "mock");
    mock.start();
    Agent agent(dir.path() / "agent", mock.baseUrl(), "log.level = warning\n");
    agent.start();

    // Exercise the paths once: submit and send, the status page and its JSON, a listing.
    std::vector<std::string> ids;
    for (int i = 0; i < messages; ++i) {
        auto reply = agent.submit(prescriptionJson());
        if (reply.status != 202) {
            std::fprintf(stderr, "idle: submit refused: HTTP %d\n", reply.status);
            return 1;
        }
        ids.push_back(parseJsonObject(reply.body)->getValue<std::string>("messageId"));
    }
    bool acked = true;
    for (const auto& id : ids) {
        acked = agent.waitForState(id, "acked", std::chrono::seconds(60)) && acked;
    }
    agent.api().get("/v1/status");
    agent.api().get("/");
    agent.api().get("/v1/messages?limit=10");
    if (!acked) {
        std::fprintf(stderr, "idle: not every message was acknowledged\n");
        return 1;
    }
    // The HTTP servers' connection workers (threads named *-conn) end after their idle time;
    // the window starts once they have, so it shows the steady idle state.
    const int pid = agent.pid();
    const auto settleStarted = std::chrono::steady_clock::now();
    waitUntil(
        [&] {
            for (const auto& [tid, sample] : sampleThreads(pid)) {
                if (sample.name.find("-conn") != std::string::npos) {
                    return false;
                }
            }
            return true;
        },
        std::chrono::seconds(60));
    const double settleSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - settleStarted).count();

    const auto before = sampleThreads(pid);
    std::this_thread::sleep_for(std::chrono::seconds(windowSeconds));
    const auto after = sampleThreads(pid);
    const auto memory = statusFields("/proc/" + std::to_string(pid) + "/status");
    // Shared library pages count fully in RSS though other processes share them: proportional
    // (PSS) and private (USS) figures say what this agent itself costs the machine.
    const auto rollup = statusFields("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::map<std::string, long> byFile;
    const auto kinds = residentByKind(pid, byFile);

    long wakeups = 0;
    std::vector<std::pair<long, std::string>> perThread;
    for (const auto& [tid, sample] : after) {
        const auto earlier = before.find(tid);
        const long delta =
            sample.switches - (earlier == before.end() ? 0 : earlier->second.switches);
        wakeups += delta;
        perThread.emplace_back(delta, sample.name + " (" + std::to_string(tid) +
                                          (earlier == before.end() ? ", new" : "") + ")");
    }
    for (const auto& [tid, sample] : before) {
        if (!after.count(tid)) {
            perThread.emplace_back(0, sample.name + " (" + std::to_string(tid) + ", exited)");
        }
    }
    std::sort(perThread.rbegin(), perThread.rend());

    const auto field = [&](const char* name) {
        const auto found = memory.find(name);
        return found == memory.end() ? -1L : found->second;
    };
    std::printf("idle: %d messages sent and acked, %.1f s until the servers' workers ended, then "
                "a %d s idle window\n",
                messages, settleSeconds, windowSeconds);
    std::printf("  RSS: VmRSS %ld kB, VmHWM %ld kB (RssAnon %ld, RssFile %ld, RssShmem %ld)\n",
                field("VmRSS"), field("VmHWM"), field("RssAnon"), field("RssFile"),
                field("RssShmem"));
    const auto rolled = [&](const char* name) {
        const auto found = rollup.find(name);
        return found == rollup.end() ? -1L : found->second;
    };
    std::printf("  PSS %ld kB; private (USS) %ld kB; shared clean %ld kB\n", rolled("Pss"),
                rolled("Private_Clean") + rolled("Private_Dirty"), rolled("Shared_Clean"));
    std::printf("  threads: %zu\n", after.size());
    std::printf("  wake-ups (context switches) in the window: %ld (%.2f/s)\n", wakeups,
                static_cast<double>(wakeups) / windowSeconds);
    for (const auto& [delta, name] : perThread) {
        std::printf("    %6ld  %s\n", delta, name.c_str());
    }
    std::printf("  resident by kind:\n");
    for (const auto& [kind, kb] : kinds) {
        if (kb > 0) {
            std::printf("    %6ld kB  %s\n", kb, kind.c_str());
        }
    }
    std::vector<std::pair<long, std::string>> files;
    for (const auto& [name, kb] : byFile) {
        files.emplace_back(kb, name);
    }
    std::sort(files.rbegin(), files.rend());
    std::printf("  resident by file (%zu files; those of 64 kB or more):\n", files.size());
    for (std::size_t i = 0; i < files.size() && files[i].first >= 64; ++i) {
        std::printf("    %6ld kB  %s\n", files[i].first, files[i].second.c_str());
    }
    agent.stop();
    mock.stop();
    return 0;
}
