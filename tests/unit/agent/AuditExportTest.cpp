#include "../../../agent/src/store/AuditChain.hpp"
#include "../../../agent/src/store/Migrations.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/store/AuditExport.hpp>
#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
using gp::test::makeMessage;

namespace {

constexpr const char* kNhsNumber = "9434765919";

/// A store with some rows, one of them naming a patient.
struct Trail : test::OpenStore {
    Trail() {
        for (int i = 0; i < 3; ++i) {
            const std::string id = "MSG-" + std::to_string(i);
            AuditEvent event = test::apiEvent(id);
            event.actor = "api:desk-1";
            event.nhsNumber = i == 1 ? kNhsNumber : "";
            REQUIRE(store->enqueue(makeMessage(id, clock.now()), event));
            clock.advance(1s);
        }
    }

    std::vector<std::string> exportLines() {
        std::ostringstream out;
        writeAuditExport(*store, out, clock.now());
        std::vector<std::string> lines;
        std::istringstream in(out.str());
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    }
};

AuditVerification verifyLines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& line : lines) {
        text += line + "\n";
    }
    std::istringstream in(text);
    return verifyAuditExport(in);
}

void replace(std::string& text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("audit rows name the patient, and the hash covers the NHS number") {
        Trail t;
        const auto rows = t.store->auditAfter(0, 10);
        REQUIRE(rows.size() == 3);
        CHECK(rows[0].nhsNumber == std::optional<std::string>(""));
        CHECK(rows[1].nhsNumber == std::optional<std::string>(kNhsNumber));
        CHECK(rows[1].actor == "api:desk-1");
        CHECK(rows[1].hash ==
              sqlite::auditHash({rows[1].prevHash, 2, toEpochMillis(rows[1].at), "api:desk-1",
                                 "accepted", "MSG-1", "interaction PORX_IN020101SM31",
                                 std::string_view(kNhsNumber)}));
        CHECK(t.store->verifyAudit().intact);

        t.store.reset();
        test::RawDatabase(t.file).exec("UPDATE audit SET nhs_number = '9000000009' WHERE seq = 2");
        t.store = openSqliteStoreReadOnly(t.file, t.clock);
        const auto result = t.store->verifyAudit();
        CHECK_FALSE(result.intact);
        CHECK(result.firstBrokenSeq == 2);
    }

    TEST_CASE("rows written before the NHS number column still verify, and stay tamper-evident") {
        test::TempDir dir;
        test::ManualClock clock;
        const auto file = dir.file("agent.db");
        {
            // A store as schema 7 left it, with two rows hashed in the seven-field form.
            test::RawDatabase raw(file);
            raw.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                     " applied_at INTEGER NOT NULL)");
            for (const auto& migration : sqlite::migrations()) {
                if (migration.version <= 7) {
                    raw.exec(std::string(migration.sql));
                    raw.exec("INSERT INTO schema_migrations VALUES (" +
                             std::to_string(migration.version) + ", 5)");
                }
            }
            std::string prev;
            for (std::int64_t seq = 1; seq <= 2; ++seq) {
                const std::string hash =
                    sqlite::auditHash({prev, seq, 1000 * seq, "api", "accepted", "OLD", ""});
                raw.exec("INSERT INTO audit (seq, at, actor, event, message_id, detail,"
                         " prev_hash, hash) VALUES (" +
                         std::to_string(seq) + ", " + std::to_string(1000 * seq) +
                         ", 'api', 'accepted', 'OLD', '', '" + prev + "', '" + hash + "')");
                prev = hash;
            }
        }
        auto store = openSqliteStore(file, clock);
        AuditEvent event = test::apiEvent("NEW");
        event.nhsNumber = kNhsNumber;
        REQUIRE(store->enqueue(makeMessage("NEW", clock.now()), event));
        const auto rows = store->auditAfter(0, 10);
        REQUIRE(rows.size() == 3);
        CHECK_FALSE(rows[0].nhsNumber.has_value());
        CHECK(rows[2].nhsNumber == std::optional<std::string>(kNhsNumber));
        const auto intact = store->verifyAudit();
        CHECK(intact.intact);
        CHECK(intact.rowsChecked == 3);

        // Giving an old row a patient, or taking a new row's away, breaks the chain.
        store.reset();
        test::RawDatabase(file).exec("UPDATE audit SET nhs_number = '' WHERE seq = 1");
        CHECK(openSqliteStoreReadOnly(file, clock)->verifyAudit().firstBrokenSeq == 1);
        test::RawDatabase(file).exec("UPDATE audit SET nhs_number = NULL WHERE seq = 1");
        test::RawDatabase(file).exec("UPDATE audit SET nhs_number = NULL WHERE seq = 3");
        CHECK(openSqliteStoreReadOnly(file, clock)->verifyAudit().firstBrokenSeq == 3);
    }

    TEST_CASE("an export holds every row and ends with the chain head" *
              doctest::test_suite("store-contract")) {
        Trail t;
        const auto lines = t.exportLines();
        REQUIRE(lines.size() == 5); // header, three rows, head
        CHECK(lines[0].find("\"format\":\"gp-agent-audit-export\"") != std::string::npos);
        CHECK(lines[2].find(std::string("\"nhsNumber\":\"") + kNhsNumber + "\"") !=
              std::string::npos);
        CHECK(lines[2].find("\"at\":\"2026-03-15T06:51:09.000Z\"") != std::string::npos);
        const auto last = t.store->auditAfter(2, 1).front();
        CHECK(lines[4] ==
              "{\"chainHead\":{\"lastSeq\":3,\"lastHash\":\"" + last.hash + "\"},\"rows\":3}");

        const auto result = verifyLines(lines);
        CHECK(result.intact);
        CHECK(result.rowsChecked == 3);
        CHECK(result.lastSeq == 3);
        CHECK(result.lastHash == last.hash);
    }

    TEST_CASE("verifying an export finds altered, removed and cut-off rows" *
              doctest::test_suite("store-contract")) {
        Trail t;
        const auto good = t.exportLines();

        auto altered = good;
        replace(altered[2], kNhsNumber, "9000000009");
        auto result = verifyLines(altered);
        CHECK_FALSE(result.intact);
        CHECK(result.firstBrokenSeq == 2);
        CHECK(result.reason.find("line 3: hash does not match content") != std::string::npos);

        auto retimed = good;
        replace(retimed[1], "06:51:08", "06:51:07"); // the readable time must agree with atMillis
        CHECK(verifyLines(retimed).reason.find("\"at\" does not match") != std::string::npos);

        auto removed = good;
        removed.erase(removed.begin() + 2);
        result = verifyLines(removed);
        CHECK_FALSE(result.intact);
        CHECK(result.reason.find("row 2 is missing") != std::string::npos);

        auto cut = good;
        cut.erase(cut.begin() + 3); // the last row gone, the head still naming it
        result = verifyLines(cut);
        CHECK_FALSE(result.intact);
        CHECK(result.reason.find("chain head does not name the last row") != std::string::npos);

        auto headless = good;
        headless.pop_back();
        CHECK(verifyLines(headless).reason.find("without its chain head") != std::string::npos);

        CHECK_FALSE(verifyLines({"not json"}).intact);
        CHECK_FALSE(verifyLines({"{\"rows\":1}"}).intact);
    }

} // TEST_SUITE
