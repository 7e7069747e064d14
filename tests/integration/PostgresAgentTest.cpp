// A fleet: two real gp-agent processes sharing one PostgreSQL schema (distinct store.instance,
// their own agent.stateDir, one store.filesDir), with a real spine-mock. Runs where the test
// PostgreSQL server was started (ctest -L integration-pg); skips, saying so, elsewhere.

#include "Gp2gpRecords.hpp"
#include "PostgresSkip.hpp"
#include "PostgresTestDatabase.hpp"
#include "ProcessHarness.hpp"

#include <doctest/doctest.h>

#include <set>

using namespace gp::test;
namespace fs = std::filesystem;

namespace {

const TestPractice kOldPractice{"A83008", "A83008-9199121", "200000001234"};
const TestPractice kNewPractice{"B86041", "B86041-9199122", "200000005678"};
const std::string kNhsNumber = "9449304130";

/// Two instances of one practice on one schema. Short leases and timeouts, so that the work of a
/// killed instance is taken over within the test's patience.
struct Fleet {
    TempDir dir{"gp-fleet"};
    PostgresTestDatabase database;
    fs::path filesDir = dir.path() / "shared-files";
    fs::path importDir = dir.path() / "import";
    std::unique_ptr<Agent> one;
    std::unique_ptr<Agent> two;

    Fleet(const std::string& spineUrl, const TestPractice& practice,
          const std::string& extraConfig = "") {
        auto instance = [&](const std::string& name) {
            return std::make_unique<Agent>(
                dir.path() / name, spineUrl,
                "store.engine = postgresql\nstore.url = " + database.url() +
                    "\nstore.instance = " + name + "\nstore.filesDir = " + filesDir.string() +
                    "\nhttp.timeout = PT3S\ndispatch.lease = PT5S\ngp2gp.importDir = " +
                    importDir.string() + "\n" + extraConfig,
                practice);
        };
        one = instance("one");
        two = instance("two");
        one->start();
        two->start();
    }

    static Poco::JSON::Object::Ptr storeStatus(const Agent& agent) {
        const auto reply = agent.api().get("/v1/status");
        if (reply.status != 200) {
            return nullptr;
        }
        return parseJsonObject(reply.body)->getObject("store");
    }

    static bool leads(const Agent& agent) {
        const auto store = agent.running() ? storeStatus(agent) : nullptr;
        return store && store->getValue<bool>("leadsWorkflows");
    }

    /// The instance that leads once exactly one of the running ones does, or null.
    Agent* leader() {
        Agent* found = nullptr;
        const bool settled = waitUntil([&] {
            const bool first = leads(*one);
            const bool second = leads(*two);
            found = first ? one.get() : two.get();
            return first != second;
        });
        return settled ? found : nullptr;
    }
};

std::string accept(const Agent& agent, const std::string& json) {
    auto reply = agent.submit(json);
    REQUIRE_MESSAGE(reply.status == 202, reply.body);
    return parseJsonObject(reply.body)->getValue<std::string>("messageId");
}

} // namespace

TEST_SUITE("integration") {

    TEST_CASE("fleet: two instances on one PostgreSQL store, one leads, EPS goes out once, and "
              "the other leads when the leader is killed") {
        GP_SKIP_WITHOUT_POSTGRES();
        TempDir mockDir{"gp-fleet-mock"};
        SpineMock mock(mockDir.path() / "mock");
        mock.start();
        Fleet fleet(mock.baseUrl(), TestPractice{});

        const auto status = Fleet::storeStatus(*fleet.one);
        REQUIRE(status);
        CHECK(status->getValue<std::string>("engine") == "postgresql");
        CHECK(status->getValue<std::string>("instance") == "one");
        Agent* leader = fleet.leader();
        REQUIRE(leader != nullptr);

        // Accepted by instance one; sent by whichever instance claims each first.
        std::vector<std::string> ids;
        for (int i = 0; i < 20; ++i) {
            ids.push_back(accept(*fleet.one, prescriptionJson()));
        }
        for (const auto& id : ids) {
            REQUIRE(fleet.one->waitForState(id, "acked"));
            CHECK(fleet.two->stateOf(id) == "acked"); // one store: both see the same message
            CHECK(mock.journalCount(id, "processed") == 1);
        }
        CHECK(Fleet::leads(*fleet.one) != Fleet::leads(*fleet.two));

        // SIGKILL the leader: its lock goes with its connection, and the other takes the lead.
        Agent& survivor = leader == fleet.one.get() ? *fleet.two : *fleet.one;
        leader->kill9();
        REQUIRE(waitUntil([&] { return Fleet::leads(survivor); }));

        // The survivor goes on alone.
        const auto after = accept(survivor, prescriptionJson());
        CHECK(survivor.waitForState(after, "acked"));
        CHECK(mock.journalCount(after, "processed") == 1);
    }

    TEST_CASE("fleet: a GP2GP transfer started on the leading instance completes after that "
              "instance is killed") {
        GP_SKIP_WITHOUT_POSTGRES();
        TempDir dir{"gp-fleet-gp2gp"};
        const fs::path recordSource = dir.path() / "records";
        fs::create_directories(recordSource);
        SpineMock mock(dir.path() / "mock",
                       "mock.gp2gp.retryInterval = PT0.2S\nmock.forwardRetryDelay = PT0.1S\n"
                       "mock.forwardMaxDelay = PT0.5S\n");
        mock.start();
        // The old practice, holding the record: one agent on its own store.
        Agent oldPractice(dir.path() / "old", mock.baseUrl(),
                          "gp2gp.recordSource = " + recordSource.string() + "\n", kOldPractice);
        oldPractice.start();
        // The new practice, asking for it: a fleet of two.
        Fleet fleet(mock.baseUrl(), kNewPractice);
        Agent* leader = fleet.leader();
        REQUIRE(leader != nullptr);
        Agent& survivor = leader == fleet.one.get() ? *fleet.two : *fleet.one;

        // The hub delivers the new practice's messages to the survivor (a load balancer would
        // send them to any live instance; the leader is about to die).
        mock.registerPractice(kOldPractice.odsCode, kOldPractice.partyKey, kOldPractice.asid,
                              oldPractice.inboundUrl());
        mock.registerPractice(kNewPractice.odsCode, kNewPractice.partyKey, kNewPractice.asid,
                              survivor.inboundUrl());
        const std::vector<SourceDocument> documents = {
            {"discharge-letter.txt", "text/plain", "Discharged home on 4 January.\n"},
            {"ecg-strip.png", "image/png", randomBytes(20'000, 7)},
        };
        writePatientRecord(recordSource, kNhsNumber, documents);

        auto reply = leader->api().post("/v1/gp2gp/requests", R"({"nhsNumber": ")" + kNhsNumber +
                                                                  R"(", "fromOdsCode": ")" +
                                                                  kOldPractice.odsCode + R"("})");
        REQUIRE_MESSAGE(reply.status == 202, reply.body);
        const auto id = parseJsonObject(reply.body)->getValue<std::string>("conversationId");
        leader->kill9();

        auto stateAt = [&](const Agent& agent) {
            const auto view = agent.api().get("/v1/gp2gp/transfers/" + id);
            return view.status == 200 ? parseJsonObject(view.body)->getValue<std::string>("state")
                                      : std::string();
        };
        REQUIRE(waitUntil([&] { return stateAt(survivor) == "closed"; }, std::chrono::minutes(2)));
        CHECK(Fleet::leads(survivor));
        for (const auto& document : documents) {
            const auto path = fleet.importDir / id / document.file;
            REQUIRE_MESSAGE(fs::exists(path), path.string());
            CHECK_MESSAGE(readWholeFile(path) == document.bytes, document.file);
        }
        CHECK(waitUntil([&] { return stateAt(oldPractice) == "closed"; }));
    }
}
