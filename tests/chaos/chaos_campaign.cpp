// The crash campaign (docs/reliability.md, "Crash campaign"): mixed EPS, GP2GP and e-RS traffic
// through two gp-agents and spine-mock while either agent or spine-mock is killed with SIGKILL at
// random moments, or an agent is started with the crash tripwire armed so that it aborts itself
// at its Nth store transition (a sweep of N, before and after the commit). Each victim is started
// again at once. At the end, once nothing is in flight, every invariant is checked; the program
// prints one summary line and exits 1 if any invariant broke.
//
//   chaos-campaign [--seed N] [--kills N] [--max-delay-ms N] [--sweep N] [--drain-seconds N]

#include "ChaosChecks.hpp"
#include "ChaosTraffic.hpp"
#include "ChaosWorld.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>

using namespace gp::chaos;

namespace {

struct Options {
    std::uint64_t seed = 0;
    int kills = 50;
    int maxDelayMs = 400;
    int sweep = 40;
    int drainSeconds = 180;
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "chaos-campaign: " << problem
              << "\nusage: chaos-campaign [--seed N] [--kills N] [--max-delay-ms N] [--sweep N]"
                 " [--drain-seconds N]\n";
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options options;
    options.seed = std::random_device{}();
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            usage(flag + " needs a value");
        }
        const std::string value = argv[++i];
        try {
            if (flag == "--seed") {
                options.seed = std::stoull(value);
            } else if (flag == "--kills") {
                options.kills = std::stoi(value);
            } else if (flag == "--max-delay-ms") {
                options.maxDelayMs = std::stoi(value);
            } else if (flag == "--sweep") {
                options.sweep = std::stoi(value);
            } else if (flag == "--drain-seconds") {
                options.drainSeconds = std::stoi(value);
            } else {
                usage("unknown flag " + flag);
            }
        } catch (const std::logic_error&) {
            usage(flag + ": '" + value + "' is not a number");
        }
    }
    if (options.kills < 1 || options.maxDelayMs < 0 || options.sweep < 1 ||
        options.drainSeconds < 1) {
        usage("--kills, --sweep and --drain-seconds must be at least 1, --max-delay-ms at least 0");
    }
    return options;
}

/// The ith armed start: N steps through 1..sweep with a stride prime to it, so that a short
/// campaign still samples the whole range; each N is tried before and after its commit.
std::string tripwireSpec(int i, int sweep) {
    int stride = 7;
    while (sweep % stride == 0 && stride < sweep) {
        ++stride;
    }
    const int n = 1 + ((i / 2) * stride) % sweep;
    return std::to_string(n) + (i % 2 == 0 ? ":before-commit" : ":after-commit");
}

class Campaign {
public:
    Campaign(const Options& options, World& world)
        : m_options(options), m_world(world), m_random(options.seed),
          m_traffic(world, m_random, m_ledger) {}

    void run() {
        const auto started = std::chrono::steady_clock::now();
        int reported = 0;
        while (m_crashes.total() < m_options.kills) {
            m_traffic.burst();
            // The pause is what the campaign varies: it decides where in the traffic's life the
            // crash lands (mid-request, mid-transfer, between retries).
            std::this_thread::sleep_for(std::chrono::milliseconds(pick(m_options.maxDelayMs + 1)));
            crashOne();
            if (m_crashes.total() >= reported + 50) {
                reported = m_crashes.total();
                const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::steady_clock::now() - started);
                std::cout << "chaos: " << reported << " kills, " << m_ledger.accepted()
                          << " accepted, " << seconds.count() << " s" << std::endl;
            }
        }
    }

    const Ledger& ledger() const { return m_ledger; }
    const CrashCounts& crashes() const { return m_crashes; }

private:
    int pick(int below) {
        return below <= 0 ? 0 : static_cast<int>(m_random.nextU64() % static_cast<unsigned>(below));
    }

    void crashOne() {
        const int roll = pick(100);
        if (roll < 30) {
            m_world.mock().kill9();
            ++m_crashes.mockKills;
            m_world.restartMock();
            return;
        }
        const int victim = pick(kAgents);
        m_world.agent(victim).kill9();
        ++m_crashes.agentKills;
        if (roll < 75) {
            m_world.startAgent(victim);
            return;
        }
        armedRun(victim);
    }

    /// Starts the victim armed, keeps it busy until the tripwire fires, then starts it plainly.
    void armedRun(int victim) {
        const std::string spec = tripwireSpec(m_armedStarts++, m_options.sweep);
        if (m_world.startArmedAgent(victim, spec)) {
            auto& agent = m_world.agent(victim);
            const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
            while (agent.running() && std::chrono::steady_clock::now() < deadline) {
                if (!m_traffic.prescribe(victim)) {
                    // Refused: the tripwire has most likely fired and the process is on its way
                    // out (its threads take a moment to go).
                    gp::test::waitUntil([&] { return !agent.running(); }, std::chrono::seconds(1));
                }
            }
            if (agent.running()) {
                agent.kill9();
                ++m_crashes.tripwireUnfired;
                ++m_crashes.agentKills;
                m_world.startAgent(victim);
                return;
            }
        }
        ++m_crashes.tripwireAborts;
        m_world.startAgent(victim);
    }

    const Options& m_options;
    World& m_world;
    gp::test::SeededRandom m_random;
    Ledger m_ledger;
    Traffic m_traffic;
    CrashCounts m_crashes;
    int m_armedStarts = 0;
};

std::string summary(const Options& options, const Campaign& campaign, const Checks& checks,
                    double seconds) {
    const auto& crashes = campaign.crashes();
    const auto& ledger = campaign.ledger();
    const auto& figures = checks.figures();
    const auto state = [&](const std::string& name) {
        const auto found = figures.outboxByState.find(name);
        return found == figures.outboxByState.end() ? 0LL : found->second;
    };
    int notAccepted = 0;
    for (const auto& [cause, count] : ledger.notAccepted) {
        notAccepted += count;
    }
    std::ostringstream line;
    line << "chaos summary: seed=" << options.seed << " kills=" << crashes.total()
         << " (agent-sigkill=" << crashes.agentKills << " mock-sigkill=" << crashes.mockKills
         << " tripwire-aborts=" << crashes.tripwireAborts
         << " tripwire-unfired=" << crashes.tripwireUnfired << ")"
         << " accepted=" << ledger.accepted() << " (eps=" << ledger.prescriptions.size()
         << " cancellations=" << ledger.cancellations.size() << " gp2gp=" << ledger.transfers.size()
         << " ers=" << ledger.referrals.size() << " not-accepted=" << notAccepted << ")"
         << " outbox: acked=" << state("acked") << " failed=" << state("failed")
         << " expired=" << state("expired") << " spine: eps-processed=" << figures.epsProcessed
         << " hub-accepted=" << figures.hubAccepted << " referrals=" << figures.referralsMade
         << " duplicates-eliminated=" << figures.replaysAnswered + figures.receiverDuplicates
         << " (replays=" << figures.replaysAnswered
         << " receiver-duplicates=" << figures.receiverDuplicates << ")"
         << " lost=" << figures.lost << " processed-twice=" << figures.processedTwice
         << " records-identical=" << figures.recordsIdentical << "/" << figures.recordsClosed
         << " transfers-failed=" << figures.transfersFailed
         << " referrals-failed=" << figures.referralsFailed
         << " violations=" << checks.violations().size()
         << " seconds=" << static_cast<int>(seconds);
    return line.str();
}

} // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    // Thousands of deliberate aborts must not leave thousands of core files behind.
    const rlimit noCores{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCores);
    std::cout << "chaos: seed " << options.seed << ", " << options.kills
              << " kills (rerun with --seed " << options.seed << ")" << std::endl;

    const auto started = std::chrono::steady_clock::now();
    gp::test::TempDir root("gp-chaos");
    try {
        World world(root.path());
        Campaign campaign(options, world);
        campaign.run();

        Checks checks(world, campaign.ledger());
        checks.drain(std::chrono::seconds(options.drainSeconds));
        checks.verify();
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::cout << summary(options, campaign, checks, seconds) << std::endl;
        for (const auto& [cause, count] : campaign.ledger().notAccepted) {
            std::cout << "chaos: not accepted (" << cause << "): " << count << std::endl;
        }
        for (const auto& [reason, count] : checks.figures().endedWithReason) {
            std::cout << "chaos: ended with a reason: " << reason << " x" << count << std::endl;
        }
        if (!checks.violations().empty()) {
            for (const auto& violation : checks.violations()) {
                std::cerr << "chaos VIOLATION: " << violation << "\n";
            }
            std::cerr << "chaos: FAILED (seed " << options.seed << "); state kept in "
                      << root.path().string() << " only with GP_KEEP_TEST_DIRS=1\n";
            return 1;
        }
        std::cout << "chaos: PASSED" << std::endl;
        return 0;
    } catch (const std::exception& error) {
        std::cerr << "chaos: the campaign could not run: " << error.what() << " (seed "
                  << options.seed << ")\n";
        return 2;
    }
}
