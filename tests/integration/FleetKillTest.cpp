// A hosted fleet under a SIGKILL (issue #9): three gp-agent processes share one PostgreSQL store
// and act for practice A behind one inbound address (a round-robin proxy, as a hosted
// deployment's load balancer); practice B is a single gp-agent on SQLite, A's GP2GP peer; one
// spine-mock is the Spine. EPS prescriptions go to A's three local APIs in turn and GP2GP records
// move both ways; after a fixed number of prescriptions was accepted one A instance is killed
// while it holds leases. Once everything has settled, spine-mock's journal and the store's audit
// trail must show every message acknowledged once, none lost, none ever held by two live
// instances, and the dead instance's leases taken over.

#include "FaultProxy.hpp"
#include "Gp2gpRecords.hpp"
#include "ProcessHarness.hpp"

#include <gp/agent/Clock.hpp>
#include <gp/agent/store/Store.hpp>

#include <Poco/JSON/Array.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

using namespace gp::test;
namespace fs = std::filesystem;
using gp::agent::AuditRow;

namespace {

const TestPractice kPracticeA{"A83008", "A83008-9199121", "200000001234"};
const TestPractice kPracticeB{"B86041", "B86041-9199122", "200000005678"};

constexpr int kInstances = 3;
constexpr int kPrescriptions = 450;
constexpr int kKillAfterAccepted = 150;
constexpr int kTransfersEachWay = 3;
// Short, so that the dead instance's leases run out within the test; longer than the HTTP
// timeout (the agent insists), so a live instance always ends its attempt before its lease does.
constexpr auto kLease = std::chrono::seconds(3);
const std::string kLeaseSetting = "PT3S";
const std::string kHttpTimeout = "PT1.5S";
constexpr auto kSettleTimeout = std::chrono::minutes(3);

/// NHS number `index` of a made-up series: nine digits and the modulus-11 check digit (numbers
/// whose check digit would be 10 are skipped).
std::string nhsNumber(int index) {
    for (long long candidate = 944930400 + index * 7;; ++candidate) {
        const std::string digits = std::to_string(candidate);
        int sum = 0;
        for (int i = 0; i < 9; ++i) {
            sum += (digits[static_cast<std::size_t>(i)] - '0') * (10 - i);
        }
        const int check = (11 - sum % 11) % 11;
        if (check != 10) {
            return digits + std::to_string(check);
        }
    }
}

std::string instanceName(int index) {
    return "fleet-a" + std::to_string(index);
}

/// One GP2GP transfer the test started, and the document it carries.
struct StartedTransfer {
    std::string conversationId;
    std::string nhsNumber;
    SourceDocument document;
    bool practiceAServes = false; // B asked A for the record; else A asked B
};

struct Fleet {
    TempDir dir{"gp-fleet"};
    PostgresTestDatabase database;
    SpineMock mock;
    // One outbound path per A instance, so the test can hold back the replies one instance gets.
    std::vector<std::unique_ptr<FaultProxy>> outbound;
    std::vector<std::unique_ptr<Agent>> practiceA;
    std::unique_ptr<Agent> practiceB;
    std::unique_ptr<FaultProxy> balancer; // practice A's one inbound address
    fs::path recordsA = dir.path() / "records-a";
    fs::path recordsB = dir.path() / "records-b";
    fs::path importA = dir.path() / "import-a";
    fs::path importB = dir.path() / "import-b";

    Fleet()
        : mock(dir.path() / "mock", "mock.gp2gp.retryInterval = PT0.2S\n"
                                    "mock.forwardRetryDelay = PT0.1S\n"
                                    "mock.forwardMaxDelay = PT0.5S\n"
                                    "mock.logLevel = warning\n") {
        fs::create_directories(recordsA);
        fs::create_directories(recordsB);
        mock.start();
        std::vector<int> inboundPorts;
        for (int i = 0; i < kInstances; ++i) {
            outbound.push_back(std::make_unique<FaultProxy>("127.0.0.1", mock.port()));
            practiceA.push_back(std::make_unique<Agent>(
                dir.path() / instanceName(i), outbound.back()->baseUrl(),
                "store.engine = postgresql\n"
                "store.url = " +
                    database.url() + "\nstore.instance = " + instanceName(i) +
                    "\nstore.filesDir = " + (dir.path() / "files-a").string() +
                    "\ndispatch.lease = " + kLeaseSetting + "\nhttp.timeout = " + kHttpTimeout +
                    "\ngp2gp.recordSource = " + recordsA.string() + "\ngp2gp.importDir = " +
                    importA.string() + "\ngp2gp.largeThreshold = 1048576\n",
                kPracticeA));
            practiceA.back()->start();
            inboundPorts.push_back(practiceA.back()->inboundPort());
        }
        practiceB = std::make_unique<Agent>(dir.path() / "practice-b", mock.baseUrl(),
                                            "gp2gp.recordSource = " + recordsB.string() +
                                                "\ngp2gp.importDir = " + importB.string() +
                                                "\ngp2gp.largeThreshold = 1048576\n"
                                                "http.timeout = PT5S\nlog.level = warning\n",
                                            kPracticeB);
        practiceB->start();
        balancer = std::make_unique<FaultProxy>("127.0.0.1", inboundPorts);
        mock.registerPractice(kPracticeA.odsCode, kPracticeA.partyKey, kPracticeA.asid,
                              balancer->baseUrl() + "/inbound");
        mock.registerPractice(kPracticeB.odsCode, kPracticeB.partyKey, kPracticeB.asid,
                              practiceB->inboundUrl());
    }

    std::vector<int> liveInstances() const {
        std::vector<int> live;
        for (int i = 0; i < kInstances; ++i) {
            if (practiceA[static_cast<std::size_t>(i)]->running()) {
                live.push_back(i);
            }
        }
        return live;
    }

    const Agent& anyLiveA() const {
        return *practiceA[static_cast<std::size_t>(liveInstances().front())];
    }

    /// A requester asks the other practice for a patient's record, whose source holds it with
    /// one document large enough to travel in fragments.
    StartedTransfer startTransfer(int index, bool practiceAServes, const Agent& requester) {
        StartedTransfer started;
        started.nhsNumber = nhsNumber(index);
        started.practiceAServes = practiceAServes;
        started.document = {"scan-" + std::to_string(index) + ".pdf", "application/pdf",
                            randomBytes(2'500'000, 100 + static_cast<std::uint64_t>(index))};
        writePatientRecord(practiceAServes ? recordsA : recordsB, started.nhsNumber,
                           {started.document});
        const std::string from = practiceAServes ? kPracticeA.odsCode : kPracticeB.odsCode;
        const auto reply = requester.api().post("/v1/gp2gp/requests",
                                                R"({"nhsNumber": ")" + started.nhsNumber +
                                                    R"(", "fromOdsCode": ")" + from + R"("})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        started.conversationId =
            parseJsonObject(reply.body)->getValue<std::string>("conversationId");
        return started;
    }
};

std::string transferState(const Agent& agent, const std::string& conversationId) {
    try {
        const auto reply = agent.api().get("/v1/gp2gp/transfers/" + conversationId);
        return reply.status == 200 ? parseJsonObject(reply.body)->getValue<std::string>("state")
                                   : "";
    } catch (const std::exception&) {
        return ""; // the instance asked is the one being killed, or is busy: ask again
    }
}

/// Audit rows by message, each message's rows in seq order (the order of the shared sequence).
std::map<std::string, std::vector<AuditRow>> auditByMessage(gp::agent::Store& store) {
    std::map<std::string, std::vector<AuditRow>> rows;
    std::int64_t after = 0;
    while (true) {
        const auto page = store.auditAfter(after, 5000);
        if (page.empty()) {
            break;
        }
        for (const auto& row : page) {
            if (!row.messageId.empty()) {
                rows[row.messageId].push_back(row);
            }
        }
        after = page.back().seq;
    }
    return rows;
}

/// Whether the instance behind `agent` leads the workflows just now (GET /v1/status).
bool leadsWorkflows(const Agent& agent) {
    try {
        const auto status = parseJsonObject(agent.api().get("/v1/status").body);
        return status->getObject("store")->getValue<bool>("leadsWorkflows");
    } catch (const std::exception&) {
        return false;
    }
}

/// What the claim check found over the whole audit trail.
struct ClaimReport {
    std::vector<std::string> violations; // messageId: what was wrong
    int takeovers = 0;  // claims of the killed instance taken over after their lease ended
    int lapsedLive = 0; // claims of live instances whose attempt outlived the lease, taken over
    int claims = 0;
};

// The claim discipline, checked message by message from the audit trail alone. An instance's
// claim of a message is its "sending" row; the claim is open until the same instance writes its
// next row about that message (the attempt's outcome: acked, retry-scheduled, failed, ...).
// A claim written by another instance, or by the same one, while a claim is open is a takeover,
// and a takeover is allowed only when
//   1. it was made after the open claim's lease had ended (claim time + dispatch.lease; both
//      times come from the same machine's clock, in milliseconds, hence 1 ms of rounding), and
//   2. the instance that lost the claim writes nothing about that message afterwards: its late
//      outcome is refused because it no longer holds the lease.
// This holds for the killed instance, whose leases can only lapse, and for a live one whose
// attempt outlived its lease (a loaded machine: claimed messages waiting for a connection to the
// endpoint whose replies are held). Any other row about the message written by a third party
// while a claim is open must not be an attempt's outcome. Together: no message is ever held by
// two instances at once, and no holder's work is overwritten by another's.
ClaimReport checkClaims(const std::map<std::string, std::vector<AuditRow>>& audit,
                        const std::string& killed) {
    static const std::set<std::string> kOutcomes = {"acked",   "retry-scheduled", "failed",
                                                    "expired", "reply-deferred",  "lease-released"};
    ClaimReport report;
    for (const auto& [messageId, rows] : audit) {
        std::optional<AuditRow> open;
        std::set<std::string> lostClaim; // instances whose claim of this message was taken over
        for (const auto& row : rows) {
            if (lostClaim.count(row.chain) != 0 && row.event != "sending") {
                report.violations.push_back(messageId + ": " + row.chain + " wrote \"" + row.event +
                                            "\" after its claim was taken over");
            }
            if (row.event == "sending") {
                ++report.claims;
                lostClaim.erase(row.chain); // a new claim of its own
                if (open) {
                    const bool leaseEnded =
                        row.at + std::chrono::milliseconds(1) >= open->at + kLease;
                    if (!leaseEnded) {
                        report.violations.push_back(
                            messageId + ": " + row.chain + " claimed it " +
                            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               row.at - open->at)
                                               .count()) +
                            " ms after " + open->chain + " did (seq " + std::to_string(open->seq) +
                            "), before that lease ended");
                    } else {
                        report.takeovers += open->chain == killed ? 1 : 0;
                        report.lapsedLive += open->chain == killed ? 0 : 1;
                        if (open->chain != row.chain) {
                            // (Taking its own lapsed claim again, an instance's next outcome
                            // is the new attempt's.)
                            lostClaim.insert(open->chain);
                        }
                    }
                }
                open = row;
            } else if (open && row.chain == open->chain) {
                open.reset(); // the holder ended its attempt
            } else if (open && kOutcomes.count(row.event) != 0) {
                report.violations.push_back(messageId + ": " + row.chain + " wrote \"" + row.event +
                                            "\" while " + open->chain + " held the claim");
            }
        }
    }
    return report;
}

/// spine-mock's journal entries by MessageId.
std::map<std::string, std::vector<Poco::JSON::Object::Ptr>> journalByMessage(SpineMock& mock) {
    std::map<std::string, std::vector<Poco::JSON::Object::Ptr>> entries;
    for (const auto& entry : mock.journal()) {
        entries[entry->getValue<std::string>("messageId")].push_back(entry);
    }
    return entries;
}

std::string text(const Poco::JSON::Object::Ptr& entry, const std::string& field) {
    return entry->has(field) && !entry->isNull(field) ? entry->getValue<std::string>(field) : "";
}

} // namespace

// Suite "fleet": registered on its own, with the PostgreSQL test server (tests/CMakeLists.txt).
TEST_SUITE("fleet") {

    TEST_CASE("fleet: three instances on one PostgreSQL, one killed mid-run: every message acked "
              "once, none claimed twice") {
        Fleet fleet;
        std::vector<StartedTransfer> transfers;
        std::vector<std::string> accepted;
        std::map<std::string, int> acceptedBy; // MessageId -> the instance that accepted it
        int victim = -1;
        FaultProxy* victimPath = nullptr;
        int nextInstance = 0;

        const auto startTransfers = [&] {
            for (int i = 0; i < kTransfersEachWay; ++i) {
                transfers.push_back(fleet.startTransfer(i, true, *fleet.practiceB));
                transfers.push_back(fleet.startTransfer(
                    kTransfersEachWay + i, false,
                    *fleet.practiceA[static_cast<std::size_t>(i % kInstances)]));
            }
        };
        // The victim is the instance leading the workflows (GP2GP), so the lead moves as well as
        // its leases. From the moment it is chosen, the replies it gets from spine-mock are held
        // back: its attempts reach Spine, which processes them, but it never hears the answers,
        // so its claims stay open. It is killed as soon as one reply was held: the worst moment,
        // with leases held on messages Spine has already acted on, whose resends by the instance
        // that takes them over Spine must eliminate as duplicates. Prescriptions keep arriving
        // meanwhile, so it has something to send.
        const auto chooseVictim = [&] {
            REQUIRE(waitUntil([&] {
                for (int i = 0; i < kInstances; ++i) {
                    if (leadsWorkflows(*fleet.practiceA[static_cast<std::size_t>(i)])) {
                        victim = i;
                        return true;
                    }
                }
                return false;
            }));
            victimPath = fleet.outbound[static_cast<std::size_t>(victim)].get();
            victimPath->holdReplies();
        };
        // A held reply proves a lease is stuck only if the victim itself holds it: its path also
        // carries the attempts of the other instances on messages it accepted. So the kill waits
        // for a message the victim accepted (its replies are held) whose open claim is the
        // victim's own, read from the audit through a store that never takes the lead.
        gp::agent::SystemClock probeClock;
        std::unique_ptr<gp::agent::Store> probe;
        const auto victimHoldsAStuckLease = [&] {
            if (!probe) {
                probe = gp::agent::openPostgresStore(fleet.database.url(), "fleet-test-probe",
                                                     probeClock, false);
            }
            for (const auto& record :
                 probe->listMessages({gp::agent::MessageState::Sending}, 500, {})) {
                const auto by = acceptedBy.find(record.messageId);
                if (by == acceptedBy.end() || by->second != victim) {
                    continue;
                }
                const auto trail = probe->auditForMessage(record.messageId);
                if (!trail.empty() && trail.back().event == "sending" &&
                    trail.back().chain == instanceName(victim)) {
                    return true;
                }
            }
            return false;
        };

        const auto started = std::chrono::steady_clock::now();
        for (int n = 0; n < kPrescriptions; ++n) {
            if (n == kKillAfterAccepted - 20) { // under way when the leader dies
                startTransfers();
            }
            if (static_cast<int>(accepted.size()) == kKillAfterAccepted) {
                chooseVictim();
            }
            auto& victimAgent = *fleet.practiceA[static_cast<std::size_t>(std::max(victim, 0))];
            if (victimPath && victimPath->repliesHeld() > 0 && victimAgent.running() &&
                victimHoldsAStuckLease()) {
                victimAgent.kill9();
                probe.reset(); // before the audit is read at the end: it opens its own
                // A message keeps the Spine address of the instance that accepted it, so the
                // survivors send the victim's messages through its path too: it passes again.
                victimPath->passThrough();
                MESSAGE("killed " << instanceName(victim) << " (the workflow leader) after "
                                  << accepted.size() << " prescriptions were accepted");
            }
            const auto live = fleet.liveInstances();
            const int targetIndex = live[static_cast<std::size_t>(nextInstance++) % live.size()];
            const Agent& target = *fleet.practiceA[static_cast<std::size_t>(targetIndex)];
            const auto reply = target.submit(prescriptionJson());
            REQUIRE_MESSAGE(reply.status == 202, reply.body);
            accepted.push_back(parseJsonObject(reply.body)->getValue<std::string>("messageId"));
            acceptedBy[accepted.back()] = targetIndex;
        }
        if (fleet.practiceA[static_cast<std::size_t>(victim)]->running()) {
            // The last prescriptions went out before any reply was held: wait for one.
            REQUIRE(
                waitUntil([&] { return victimPath->repliesHeld() > 0 && victimHoldsAStuckLease(); },
                          std::chrono::seconds(60)));
            fleet.practiceA[static_cast<std::size_t>(victim)]->kill9();
            probe.reset();
            victimPath->passThrough();
            MESSAGE("killed " << instanceName(victim) << " after the last prescription");
        }
        const std::string killed = instanceName(victim);
        MESSAGE(kPrescriptions << " prescriptions accepted in "
                               << std::chrono::duration_cast<std::chrono::seconds>(
                                      std::chrono::steady_clock::now() - started)
                                      .count()
                               << " s");
        // Another instance takes the lead over.
        CHECK(waitUntil(
            [&] {
                for (int i : fleet.liveInstances()) {
                    if (leadsWorkflows(*fleet.practiceA[static_cast<std::size_t>(i)])) {
                        return true;
                    }
                }
                return false;
            },
            std::chrono::seconds(60)));

        // ---- settle: every prescription acked, every transfer closed on both sides ----
        std::set<std::string> pending(accepted.begin(), accepted.end());
        const bool settled = waitUntil(
            [&] {
                for (auto it = pending.begin(); it != pending.end();) {
                    std::string state;
                    try {
                        state = fleet.anyLiveA().stateOf(*it);
                    } catch (const std::exception&) {
                        return false; // busy: ask again
                    }
                    it = state == "acked" ? pending.erase(it) : std::next(it);
                }
                if (!pending.empty()) {
                    return false;
                }
                for (const auto& transfer : transfers) {
                    if (transferState(fleet.anyLiveA(), transfer.conversationId) != "closed" ||
                        transferState(*fleet.practiceB, transfer.conversationId) != "closed") {
                        return false;
                    }
                }
                return true;
            },
            kSettleTimeout);
        MESSAGE("settled " << std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count()
                           << " s after the first prescription; " << pending.size()
                           << " prescriptions not acked");
        CHECK_MESSAGE(pending.empty(), pending.size() << " accepted prescriptions never acked");
        for (const auto& messageId : pending) {
            // What became of it, for whoever has to find out why.
            gp::agent::SystemClock clock;
            auto store = gp::agent::openPostgresStore(fleet.database.url(), "fleet-test-probe",
                                                      clock, false);
            std::string trail;
            for (const auto& row : store->auditForMessage(messageId)) {
                trail += "\n  " + std::to_string(row.seq) + " " +
                         std::to_string(gp::agent::toEpochMillis(row.at)) + " " + row.chain + " " +
                         row.event + " " + row.detail;
            }
            MESSAGE("not acked: " << messageId << " "
                                  << fleet.anyLiveA().api().get("/v1/messages/" + messageId).body
                                  << trail);
        }
        for (const auto& transfer : transfers) {
            CHECK_MESSAGE(transferState(fleet.anyLiveA(), transfer.conversationId) == "closed",
                          "practice A, transfer " << transfer.conversationId);
            CHECK_MESSAGE(transferState(*fleet.practiceB, transfer.conversationId) == "closed",
                          "practice B, transfer " << transfer.conversationId);
            const fs::path imported = (transfer.practiceAServes ? fleet.importB : fleet.importA) /
                                      transfer.conversationId / transfer.document.file;
            CHECK_MESSAGE(readWholeFile(imported) == transfer.document.bytes, imported.string());
        }
        REQUIRE(settled);

        // Opened only now, everything settled: a store opened on the schema contends for the
        // workflow lead like an instance (and would hold it, idle, if it won). Its own name
        // appears in no row, since it writes nothing.
        gp::agent::SystemClock clock;
        auto reader =
            gp::agent::openPostgresStore(fleet.database.url(), "fleet-test-reader", clock, false);

        // ---- spine-mock's journal: each prescription processed once, resends eliminated ----
        const auto journal = journalByMessage(fleet.mock);
        const std::set<std::string> acceptedIds(accepted.begin(), accepted.end());
        int duplicatesEliminated = 0;
        for (const auto& messageId : accepted) {
            int processed = 0;
            const auto found = journal.find(messageId);
            for (const auto& entry :
                 found == journal.end() ? decltype(found->second){} : found->second) {
                const auto outcome = text(entry, "outcome");
                if (outcome == "processed") {
                    ++processed;
                    CHECK_MESSAGE(text(entry, "replyCode") == "AA", messageId);
                } else if (outcome == "replayed") {
                    ++duplicatesEliminated; // the same MessageId again, answered as before
                } else {
                    FAIL_CHECK(messageId << ": unexpected journal outcome " << outcome);
                }
            }
            CHECK_MESSAGE(processed == 1, messageId << " processed " << processed << " times");
        }
        // Nothing reached Spine as a prescription that the test did not have accepted.
        int prescriptionsProcessed = 0;
        for (const auto& [messageId, entries] : journal) {
            for (const auto& entry : entries) {
                if (text(entry, "interaction") == "PORX_IN020101SM31" &&
                    text(entry, "outcome") == "processed") {
                    ++prescriptionsProcessed;
                    CHECK_MESSAGE(acceptedIds.count(messageId) == 1, messageId);
                }
            }
        }
        CHECK(prescriptionsProcessed == kPrescriptions);
        // Every GP2GP message was taken in by the hub once and handed on once, whoever sent it.
        for (const auto& [messageId, entries] : journal) {
            int acceptedByHub = 0;
            int forwarded = 0;
            bool reliable = false;
            for (const auto& entry : entries) {
                reliable = reliable || !text(entry, "leg").empty();
                acceptedByHub += text(entry, "outcome") == "accepted";
                forwarded += text(entry, "outcome") == "forwarded";
            }
            if (reliable) {
                CHECK_MESSAGE(acceptedByHub == 1, messageId);
                CHECK_MESSAGE(forwarded == 1, messageId);
            }
        }

        // ---- the store: acked once each, claims never shared, the dead one's taken over ----
        const auto audit = auditByMessage(*reader);
        for (const auto& messageId : accepted) {
            const auto found = audit.find(messageId);
            REQUIRE_MESSAGE(found != audit.end(), messageId);
            const auto acked =
                std::count_if(found->second.begin(), found->second.end(),
                              [](const AuditRow& row) { return row.event == "acked"; });
            CHECK_MESSAGE(acked == 1, messageId);
        }
        const ClaimReport claims = checkClaims(audit, killed);
        for (const auto& violation : claims.violations) {
            FAIL_CHECK(violation);
        }
        CHECK(claims.takeovers >= 1);
        MESSAGE(claims.claims << " claims, " << claims.takeovers << " taken over from " << killed
                              << ", " << claims.lapsedLive
                              << " of live instances taken over after their lease ended"
                              << ", " << duplicatesEliminated
                              << " resends eliminated by spine-mock as duplicates");

        // ---- the audit chains, one per instance, verify ----
        const auto verification = reader->verifyAudit();
        CHECK_MESSAGE(verification.intact, verification.reason);
        CHECK(verification.rowsChecked > kPrescriptions * 3);
        const auto verifyB = runAgentCtl(fleet.practiceB->configFile(), {"audit", "verify"});
        CHECK_MESSAGE(verifyB.exitCode == 0, verifyB.output);
        const auto survivor = static_cast<std::size_t>(fleet.liveInstances().front());
        const auto verifyA =
            runAgentCtl(fleet.practiceA[survivor]->configFile(), {"audit", "verify"});
        CHECK_MESSAGE(verifyA.exitCode == 0, verifyA.output);
    }

} // TEST_SUITE
