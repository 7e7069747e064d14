#include "../../../agent/src/store/AuditChain.hpp"

#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <Poco/DigestEngine.h>
#include <Poco/SHA2Engine.h>
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

using namespace gp;
using namespace gp::agent;
using namespace std::chrono_literals;
using gp::test::makeMessage;

namespace {

std::string sha256Hex(const std::string& bytes) {
    Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
    engine.update(bytes);
    return Poco::DigestEngine::digestToHex(engine.digest());
}

/// A store with a varied history: 55 audit rows over every kind of event.
struct History : test::OpenStore {
    History() {
        for (int round = 0; round < 5; ++round) {
            const std::string acked = messaging::ids::newUuid(random);
            const std::string retried = messaging::ids::newUuid(random);
            const std::string failed = messaging::ids::newUuid(random);
            for (const std::string& id : {acked, retried, failed}) {
                REQUIRE(store->enqueue(makeMessage(id, clock.now(), 10min), test::apiEvent(id)));
            }
            REQUIRE(store->claimDue("worker", 60s, 10)->size() == 3);
            clock.advance(1s);
            REQUIRE(store->recordAcked(acked, "worker", "ack"));
            REQUIRE(store->recordFailed(failed, "worker", {"0002", "rejected"}));
            REQUIRE(
                store->recordRetry(retried, "worker", clock.now() + 5s, {"http-503", "x"}, true));
            clock.advance(5s);
            REQUIRE(store->claimDue("worker", 60s, 10)->size() == 1);
            REQUIRE(store->recordAcked(retried, "worker", "ack"));
        }
        REQUIRE(store->auditAfter(0, 1000).size() == 55);
    }

    /// Changes the stored rows behind the store's back, as someone with the database's
    /// credentials could, then opens the store again (read-only on SQLite, as `gp-agentctl audit
    /// verify` does).
    void tamper(const std::string& sql) {
        store.reset();
        if (test::PostgresTestDatabase* postgres = engine.postgres()) {
            postgres->exec(sql);
            store = engine.open(clock);
            return;
        }
        test::RawDatabase(file).exec(sql);
        store = openSqliteStoreReadOnly(file, clock);
    }
};

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("the canonical form length-prefixes every field") {
        const sqlite::AuditFields fields{"", 1, 1773557468000, "api", "accepted", "ABC", ""};
        CHECK(sqlite::canonicalAuditForm(fields) ==
              "0:,1:1,13:1773557468000,3:api,8:accepted,3:ABC,0:,");

        // Moving bytes between neighbouring fields changes the form, so it changes the hash.
        const sqlite::AuditFields left{"", 1, 0, "ab", "c", "", ""};
        const sqlite::AuditFields right{"", 1, 0, "a", "bc", "", ""};
        CHECK(sqlite::canonicalAuditForm(left) != sqlite::canonicalAuditForm(right));
        CHECK(sqlite::auditHash(left) != sqlite::auditHash(right));
        CHECK(sqlite::auditHash(fields) == sha256Hex(sqlite::canonicalAuditForm(fields)));
    }

    TEST_CASE("stored audit hashes follow the documented form and chain") {
        test::TempDir dir;
        test::ManualClock clock;
        auto store = openSqliteStore(dir.file("agent.db"), clock);
        const std::string id = "0C1F8B2A-6D4E-4F00-9A1B-2C3D4E5F6A7B";
        REQUIRE(store->enqueue(makeMessage(id, clock.now()), test::apiEvent(id)));
        clock.advance(250ms);
        REQUIRE(store->claimDue("worker", 60s, 1)->size() == 1);

        const std::vector<AuditRow> rows = store->auditAfter(0, 10);
        REQUIRE(rows.size() == 2);
        CHECK(rows[0].seq == 1);
        CHECK(rows[0].prevHash.empty());
        CHECK(rows[0].hash == sha256Hex("0:,1:1,13:1773557468000,3:api,8:accepted,36:" + id +
                                        ",29:interaction PORX_IN020101SM31,0:,"));
        CHECK(rows[1].seq == 2);
        CHECK(rows[1].prevHash == rows[0].hash);
        CHECK(rows[1].hash ==
              sha256Hex("64:" + rows[0].hash + ",1:2,13:1773557468250,10:dispatcher," +
                        "7:sending,36:" + id + ",9:attempt 1,0:,"));
        CHECK(store->auditAfter(1, 10).size() == 1);
        CHECK(store->auditAfter(0, 1).size() == 1);
    }

    TEST_CASE("an empty audit trail verifies" * doctest::test_suite("store-contract")) {
        test::OpenStore f;
        const AuditVerification result = f.store->verifyAudit();
        CHECK(result.intact);
        CHECK(result.rowsChecked == 0);
        CHECK(result.lastSeq == 0);
        CHECK(result.lastHash.empty());
    }

    TEST_CASE("a busy history verifies intact" * doctest::test_suite("store-contract")) {
        History h;
        const AuditVerification result = h.store->verifyAudit();
        CHECK(result.intact);
        CHECK(result.rowsChecked == 55);
        CHECK_FALSE(result.firstBrokenSeq.has_value());
        CHECK(result.lastSeq == 55);
        CHECK(result.lastHash == h.store->auditAfter(54, 1).front().hash);
    }

    TEST_CASE("verify names the row whose content was altered" *
              doctest::test_suite("store-contract")) {
        History h;
        h.tamper("UPDATE audit SET detail = 'attempt 9' WHERE seq = 17");
        const AuditVerification result = h.store->verifyAudit();
        CHECK_FALSE(result.intact);
        CHECK(result.firstBrokenSeq == 17);
        CHECK(result.reason == "hash does not match content (the row was altered)");
        CHECK(result.rowsChecked == 17);
    }

    TEST_CASE("verify names the row after a deleted one" * doctest::test_suite("store-contract")) {
        History h;
        h.tamper("DELETE FROM audit WHERE seq = 30");
        const AuditVerification result = h.store->verifyAudit();
        CHECK_FALSE(result.intact);
        CHECK(result.firstBrokenSeq == 31);
        // Both engines name the missing row: a PostgreSQL chain's seq has gaps (other chains,
        // rolled-back numbers), but where its link is broken the numbers no chain holds are it.
        CHECK(result.reason == "row 30 is missing before this row (deleted)");
    }

    TEST_CASE("verify notices rows cut from the start" * doctest::test_suite("store-contract")) {
        History h;
        h.tamper("DELETE FROM audit WHERE seq <= 3");
        const AuditVerification result = h.store->verifyAudit();
        CHECK(result.firstBrokenSeq == 4);
        CHECK(result.reason == "rows 1 to 3 are missing before this row (deleted)");
    }

    TEST_CASE("verify catches an altered row whose hash was recomputed") {
        History h;
        const AuditRow row = h.store->auditAfter(9, 1).front();
        const sqlite::AuditFields forged{row.prevHash, row.seq,      toEpochMillis(row.at),
                                         "operator:x", row.event,    row.messageId,
                                         row.detail,   row.nhsNumber};
        h.tamper("UPDATE audit SET actor = 'operator:x', hash = '" + sqlite::auditHash(forged) +
                 "' WHERE seq = 10");
        const AuditVerification result = h.store->verifyAudit();
        CHECK_FALSE(result.intact);
        CHECK(result.firstBrokenSeq == 11);
        CHECK(result.reason ==
              "prev_hash does not match row 10 (a row before this one was altered or replaced)");
    }

    TEST_CASE("the chain continues across reopening the store" *
              doctest::test_suite("store-contract")) {
        History h;
        h.reopen();
        const std::string id = messaging::ids::newUuid(h.random);
        REQUIRE(h.store->enqueue(makeMessage(id, h.clock.now()), test::apiEvent(id)));
        const AuditRow added = h.store->auditForMessage(id).front();
        CHECK(added.seq == 56);
        CHECK(added.prevHash == h.store->auditAfter(54, 1).front().hash);
        CHECK(h.store->verifyAudit().intact);
    }

    TEST_CASE("several chains interleaved in seq order verify each on its own") {
        // A shared PostgreSQL store: instances a and b append to their own chains, seq drawn
        // from one sequence (7 was rolled back, so no row holds it).
        std::vector<AuditRow> rows;
        std::map<std::string, std::string> tips;
        for (const auto& [seq, chain] : std::vector<std::pair<std::int64_t, std::string>>{
                 {1, "a"}, {2, "b"}, {3, "a"}, {4, "a"}, {5, "b"}, {6, "a"}, {8, "b"}, {9, "a"}}) {
            AuditRow row;
            row.seq = seq;
            row.chain = chain;
            row.at = fromEpochMillis(1773557468000 + seq);
            row.actor = "dispatcher";
            row.event = "sending";
            row.nhsNumber = "";
            row.prevHash = tips[chain];
            row.hash = sqlite::auditHash({row.prevHash, row.seq, toEpochMillis(row.at), row.actor,
                                          row.event, row.messageId, row.detail, row.nhsNumber});
            tips[chain] = row.hash;
            rows.push_back(row);
        }
        const auto walk = [](const std::vector<AuditRow>& trail) {
            sqlite::AuditChains chains;
            for (const AuditRow& row : trail) {
                if (auto broken = chains.next(row)) {
                    return std::to_string(row.seq) + ": " + *broken;
                }
            }
            return std::string("intact at ") + std::to_string(chains.lastSeq());
        };
        CHECK(walk(rows) == "intact at 9");

        auto deleted = rows; // a's row 4 gone: its next row (6) no longer links
        deleted.erase(deleted.begin() + 3);
        CHECK(walk(deleted) == "6: prev_hash does not match row 3 of chain a (a row between them "
                               "was deleted, altered or replaced)");

        auto firstGone = rows; // a's row 1 gone: its next row is now a's first, linked to something
        firstGone.erase(firstGone.begin());
        CHECK(walk(firstGone) == "3: prev_hash of the first row of chain a is not empty (its "
                                 "earlier rows were deleted)");

        auto cutFromStart = rows; // rows 1 and 2 gone: no other chain's row before a's row 3
        cutFromStart.erase(cutFromStart.begin(), cutFromStart.begin() + 2);
        CHECK(walk(cutFromStart) == "3: rows 1 to 2 are missing before this row (deleted)");

        auto deletedAcross = rows; // b's row 5 gone; a's row 6 lies between 5 and 8
        deletedAcross.erase(deletedAcross.begin() + 4);
        CHECK(walk(deletedAcross) == "8: prev_hash does not match row 2 of chain b (a row between "
                                     "them was deleted, altered or replaced)");

        auto replaced = rows; // b's row 5 rewritten with a fresh hash: row 8's link breaks
        replaced[4].detail = "forged";
        replaced[4].hash =
            sqlite::auditHash({replaced[4].prevHash, 5, toEpochMillis(replaced[4].at), "dispatcher",
                               "sending", "", "forged", replaced[4].nhsNumber});
        CHECK(walk(replaced) == "8: prev_hash does not match row 5 of chain b (a row between them "
                                "was deleted, altered or replaced)");

        auto reordered = rows;
        std::swap(reordered[1], reordered[2]);
        CHECK(walk(reordered) == "2: seq 2 does not follow row 3 (rows out of order or repeated)");
    }

} // TEST_SUITE
