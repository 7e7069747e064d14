// MockStore's group commit (GroupCommit): writes made together share one commit, each returns
// only once it is on disk, and a write that fails takes nothing else with it. Commits are held
// back by CommitHooks and latches, never by sleeping, so the batches are exactly as arranged.

#include "../../../spine-mock/src/Sqlite.hpp"
#include "MockTestSupport.hpp"

#include <gp/mock/MockStore.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace gp::mock;
using gp::failure;
using gp::Status;

namespace {

JournalEntry line(const std::string& messageId) {
    return {0,  messageId, "PORX_IN020101SM31", "processed", "AA", "2026-03-15T06:51:08.000Z",
            "", ""};
}

std::vector<std::string> journaledIds(MockStore& store) {
    std::vector<std::string> ids;
    for (const auto& entry : store.journal().value()) {
        ids.push_back(entry.messageId);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

/// Hooks that, once armed, count staged writes and commits and hold the first commit until
/// release().
class HeldCommit {
public:
    CommitHooks hooks() {
        return {[this] {
                    std::lock_guard lock(m_mutex);
                    if (m_armed) {
                        ++m_staged;
                        m_changed.notify_all();
                    }
                },
                [this] {
                    std::unique_lock lock(m_mutex);
                    if (m_armed && ++m_commits == 1) {
                        m_changed.wait(lock, [this] { return m_released; });
                    }
                }};
    }
    void arm() {
        std::lock_guard lock(m_mutex);
        m_armed = true;
    }
    void waitForStaged(int writes) {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_staged >= writes; });
    }
    void release() {
        std::lock_guard lock(m_mutex);
        m_released = true;
        m_changed.notify_all();
    }
    int commits() {
        std::lock_guard lock(m_mutex);
        return m_commits;
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_armed = false;
    bool m_released = false;
    int m_staged = 0;
    int m_commits = 0;
};

} // namespace

TEST_SUITE("spine-mock") {

    TEST_CASE("writes made together share one commit and every one of them is on disk") {
        constexpr int kWriters = 8;
        test::TempDir dir;
        HeldCommit held;
        std::vector<std::string> expected;
        {
            MockStore store(dir.path(), held.hooks());
            held.arm();
            std::vector<int> committed(kWriters, 0);
            std::vector<std::thread> writers;
            for (int i = 0; i < kWriters; ++i) {
                expected.push_back("ID-" + std::to_string(i));
                writers.emplace_back([&, i] {
                    committed[static_cast<std::size_t>(i)] =
                        store.appendJournal(line("ID-" + std::to_string(i))).ok() ? 1 : 0;
                });
            }
            // Whoever commits first waits in the hook until all eight writes are staged.
            held.waitForStaged(kWriters);
            held.release();
            for (auto& writer : writers) {
                writer.join();
            }
            CHECK(std::count(committed.begin(), committed.end(), 1) == kWriters);
            CHECK(held.commits() == 1);
        }
        MockStore reopened(dir.path());
        CHECK(journaledIds(reopened) == expected);
    }

    TEST_CASE("a write that fails is rolled back alone and the writes sharing its commit stay") {
        test::TempDir dir;
        HeldCommit held;
        MockStore store(dir.path(), held.hooks());
        held.arm();
        std::atomic<bool> firstOk{false};
        std::atomic<bool> secondOk{false};
        std::thread first([&] { firstOk = store.appendJournal(line("ID-A")).ok(); });
        std::thread second([&] { secondOk = store.appendJournal(line("ID-C")).ok(); });
        held.waitForStaged(2);

        // Staged into the same open transaction, half done, then refused.
        const Status failed = store.transaction([](SqliteDatabase& db) -> Status {
            auto insert = db.prepare("INSERT INTO journal (message_id, interaction, outcome, "
                                     "reply_code, received_at) VALUES ('ID-B', 'X', 'processed', "
                                     "'AA', 't')");
            if (auto inserted = insert.run(); !inserted) {
                return inserted;
            }
            return failure("test", "refused after its first insert");
        });
        CHECK_FALSE(failed.ok());
        CHECK(failed.error().message == "refused after its first insert");

        held.release();
        first.join();
        second.join();
        CHECK(firstOk);
        CHECK(secondOk);
        CHECK(held.commits() == 1);
        CHECK(journaledIds(store) == std::vector<std::string>{"ID-A", "ID-C"});
    }

    TEST_CASE("a store constraint refusing one write leaves the others of its batch committed") {
        test::TempDir dir;
        HeldCommit held;
        MockStore store(dir.path(), held.hooks());
        const JournalEntry original = line("ID-1");
        REQUIRE(store.recordProcessed(original, {200, "x", "first", "AA"}, std::nullopt).ok());
        held.arm();
        std::atomic<bool> otherOk{false};
        std::thread other([&] { otherOk = store.appendJournal(line("ID-2")).ok(); });
        held.waitForStaged(1);
        // The same MessageId again while ID-2's commit is held: refused by the replies key.
        CHECK_FALSE(
            store.recordProcessed(original, {200, "x", "second", "AA"}, std::string("P")).ok());
        held.release();
        other.join();
        CHECK(otherOk);
        CHECK(store.findReply("ID-1")->value().body == "first");
        CHECK_FALSE(store.prescriptionAcceptedBy("P")->has_value());
        CHECK(journaledIds(store) == std::vector<std::string>{"ID-1", "ID-2"});
    }

    TEST_CASE("inside a DeferredDurability scope reads see staged writes and await() commits") {
        test::TempDir dir;
        HeldCommit held;
        MockStore store(dir.path(), held.hooks());
        held.arm();
        std::atomic<bool> writerOk{false};
        std::thread writer([&] {
            writerOk =
                store.recordProcessed(line("ID-1"), {200, "x", "reply", "AA"}, std::nullopt).ok();
        });
        held.waitForStaged(1);
        {
            DeferredDurability durability(store.commits());
            // Still being committed, yet a duplicate check must see it.
            const auto seen = store.findReply("ID-1");
            REQUIRE(seen.ok());
            CHECK(seen->has_value());
            REQUIRE(store.appendJournal(line("ID-1-replayed")).ok());
            // Neither waited for a commit, or this test would hang here: the first one is held.
            held.release();
            CHECK(durability.await().ok());
        }
        writer.join();
        CHECK(writerOk);
        MockStore reopened(dir.path());
        CHECK(journaledIds(reopened) == std::vector<std::string>{"ID-1", "ID-1-replayed"});
    }

} // TEST_SUITE
