// Group commit in the SQLite store (agent/src/store/SqliteStore.hpp): concurrent writes share one
// transaction, each in its own savepoint. The write path's test hooks make every batch here
// deterministic: the first writer is held until the writes the test wants have queued behind it.

#include "../../../agent/src/store/SqliteStore.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace gp;
using namespace gp::agent;
using agent::sqlite::SqliteStore;
using agent::sqlite::WriteStats;

namespace {

/// A store opened the way the agent opens it, as the concrete class so that tests reach its hooks.
struct GroupFixture {
    test::TempDir dir;
    test::ManualClock clock;
    std::filesystem::path file = dir.file("agent.db");
    SqliteStore store{file, clock, SqliteStore::Access::ReadWrite};

    /// Holds the first batch's writer until `count` writes (its own included) have queued, so
    /// that they all run in that one batch; later batches run as they come.
    void holdFirstBatchFor(std::size_t count) {
        auto first = std::make_shared<std::atomic<bool>>(true);
        SqliteStore::WriteHooks hooks;
        hooks.beforeBatch = [this, first, count] {
            if (first->exchange(false)) {
                store.waitForQueuedWrites(count);
            }
        };
        store.setWriteHooks(std::move(hooks));
    }

    /// Runs `each(i)` on `count` threads at once and joins them.
    template <typename Each>
    static void onThreads(int count, Each each) {
        std::vector<std::thread> threads;
        for (int i = 0; i < count; ++i) {
            threads.emplace_back([&each, i] { each(i); });
        }
        for (std::thread& thread : threads) {
            thread.join();
        }
    }

    Status enqueue(const std::string& id) {
        return store.enqueue(test::makeMessage(id, clock.now()), test::apiEvent(id));
    }
};

std::string idOf(int i) {
    return "msg-" + std::to_string(i);
}

/// "full", "io-error" or "none", so that a failed check prints what it saw.
std::string faultName(const Error& error) {
    const auto fault = storageFaultOf(error);
    return fault ? std::string(toString(*fault)) : "none";
}

/// Counted through a connection of its own, as another process would see the file.
std::int64_t countRows(const std::filesystem::path& file, const std::string& sql) {
    test::RawDatabase raw(file);
    return std::stoll(raw.scalar(sql));
}

// A disk that fails on request, below SQLite: a VFS that wraps the default one and, while
// armed, refuses every write with the code given (SQLITE_FULL for a full disk). It stands for
// ENOSPC or EIO on the write-ahead log at COMMIT, where a batch's pages first reach a file.
namespace faulty_disk {

std::atomic<int> failWritesWith{0};
sqlite3_vfs* real = nullptr;
sqlite3_vfs wrapper;
sqlite3_io_methods methods;

struct File {
    sqlite3_file base;
    sqlite3_file* inner; // the real VFS's file, in the bytes just after this struct
};

sqlite3_file* inner(sqlite3_file* file) {
    return reinterpret_cast<File*>(file)->inner;
}

int xWrite(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    if (const int code = failWritesWith.load()) {
        return code;
    }
    return inner(file)->pMethods->xWrite(inner(file), data, amount, offset);
}

int xOpen(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* outFlags) {
    auto* wrapped = reinterpret_cast<File*>(file);
    wrapped->inner = reinterpret_cast<sqlite3_file*>(wrapped + 1);
    wrapped->base.pMethods = nullptr;
    const int rc = real->xOpen(real, name, wrapped->inner, flags, outFlags);
    if (wrapped->inner->pMethods == nullptr) {
        return rc;
    }
    // Everything but xWrite goes straight to the real file (WAL needs the shared-memory calls).
    methods = *wrapped->inner->pMethods;
    methods.xClose = [](sqlite3_file* f) { return inner(f)->pMethods->xClose(inner(f)); };
    methods.xRead = [](sqlite3_file* f, void* d, int n, sqlite3_int64 o) {
        return inner(f)->pMethods->xRead(inner(f), d, n, o);
    };
    methods.xWrite = xWrite;
    methods.xTruncate = [](sqlite3_file* f, sqlite3_int64 s) {
        return inner(f)->pMethods->xTruncate(inner(f), s);
    };
    methods.xSync = [](sqlite3_file* f, int syncFlags) {
        return inner(f)->pMethods->xSync(inner(f), syncFlags);
    };
    methods.xFileSize = [](sqlite3_file* f, sqlite3_int64* s) {
        return inner(f)->pMethods->xFileSize(inner(f), s);
    };
    methods.xLock = [](sqlite3_file* f, int l) { return inner(f)->pMethods->xLock(inner(f), l); };
    methods.xUnlock = [](sqlite3_file* f, int l) {
        return inner(f)->pMethods->xUnlock(inner(f), l);
    };
    methods.xCheckReservedLock = [](sqlite3_file* f, int* out) {
        return inner(f)->pMethods->xCheckReservedLock(inner(f), out);
    };
    methods.xFileControl = [](sqlite3_file* f, int op, void* arg) {
        return inner(f)->pMethods->xFileControl(inner(f), op, arg);
    };
    methods.xSectorSize = [](sqlite3_file* f) { return inner(f)->pMethods->xSectorSize(inner(f)); };
    methods.xDeviceCharacteristics = [](sqlite3_file* f) {
        return inner(f)->pMethods->xDeviceCharacteristics(inner(f));
    };
    methods.xShmMap = [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
        return inner(f)->pMethods->xShmMap(inner(f), page, size, extend, out);
    };
    methods.xShmLock = [](sqlite3_file* f, int offset, int n, int lockFlags) {
        return inner(f)->pMethods->xShmLock(inner(f), offset, n, lockFlags);
    };
    methods.xShmBarrier = [](sqlite3_file* f) { inner(f)->pMethods->xShmBarrier(inner(f)); };
    methods.xShmUnmap = [](sqlite3_file* f, int remove) {
        return inner(f)->pMethods->xShmUnmap(inner(f), remove);
    };
    methods.xFetch = [](sqlite3_file* f, sqlite3_int64 o, int n, void** out) {
        return inner(f)->pMethods->xFetch(inner(f), o, n, out);
    };
    methods.xUnfetch = [](sqlite3_file* f, sqlite3_int64 o, void* p) {
        return inner(f)->pMethods->xUnfetch(inner(f), o, p);
    };
    wrapped->base.pMethods = &methods;
    return rc;
}

/// Makes the wrapper SQLite's default VFS for as long as it lives (the store names none).
struct Installed {
    Installed() {
        real = sqlite3_vfs_find(nullptr);
        wrapper = *real;
        wrapper.zName = "gp-faulty-disk";
        wrapper.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
        wrapper.xOpen = xOpen;
        REQUIRE(sqlite3_vfs_register(&wrapper, 1) == SQLITE_OK);
    }
    ~Installed() {
        failWritesWith = 0;
        sqlite3_vfs_unregister(&wrapper);
        sqlite3_vfs_register(real, 1);
    }
    Installed(const Installed&) = delete;
    Installed& operator=(const Installed&) = delete;
};

} // namespace faulty_disk

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("group commit: concurrent writes share commits and each keeps its audit row") {
        constexpr int kThreads = 8;
        constexpr int kPerThread = 25;
        GroupFixture f;
        f.holdFirstBatchFor(kThreads);

        std::atomic<int> failures{0};
        GroupFixture::onThreads(kThreads, [&](int thread) {
            for (int i = 0; i < kPerThread; ++i) {
                if (!f.enqueue(idOf(thread * kPerThread + i))) {
                    ++failures;
                }
            }
        });

        CHECK(failures.load() == 0);
        const WriteStats stats = f.store.writeStats();
        CHECK(stats.writes == kThreads * kPerThread);
        CHECK(stats.commits < stats.writes);
        CHECK(stats.largestBatch >= kThreads); // the held first batch took one from each thread
        CHECK(countRows(f.file, "SELECT COUNT(*) FROM messages") == kThreads * kPerThread);
        for (int i = 0; i < kThreads * kPerThread; ++i) {
            const auto audit = f.store.auditForMessage(idOf(i));
            REQUIRE(audit.size() == 1);
            CHECK(audit[0].event == "accepted");
        }
        const AuditVerification verification = f.store.verifyAudit();
        CHECK(verification.intact);
        CHECK(verification.rowsChecked == kThreads * kPerThread);
    }

    TEST_CASE("group commit: claims and acknowledgements share commits and lose nothing") {
        constexpr int kMessages = 40;
        constexpr int kWorkers = 4;
        GroupFixture f;
        for (int i = 0; i < kMessages; ++i) {
            REQUIRE(f.enqueue(idOf(i)));
        }
        const WriteStats before = f.store.writeStats();
        f.holdFirstBatchFor(kWorkers);

        std::mutex seenMutex;
        std::multiset<std::string> claimed;
        std::atomic<int> ackFailures{0};
        std::atomic<int> claimFailures{0};
        GroupFixture::onThreads(kWorkers, [&](int worker) {
            const std::string owner = "worker-" + std::to_string(worker);
            for (;;) {
                auto batch = f.store.claimDue(owner, std::chrono::minutes(1), 3);
                if (!batch) {
                    ++claimFailures;
                    return;
                }
                if (batch->empty()) {
                    return;
                }
                for (const ClaimedMessage& message : *batch) {
                    {
                        std::lock_guard lock(seenMutex);
                        claimed.insert(message.record.messageId);
                    }
                    if (!f.store.recordAcked(message.record.messageId, owner, "ack")) {
                        ++ackFailures;
                    }
                }
            }
        });

        CHECK(claimFailures.load() == 0);
        CHECK(ackFailures.load() == 0);
        CHECK(claimed.size() == kMessages); // each claimed once: no duplicates in the multiset
        CHECK(std::set<std::string>(claimed.begin(), claimed.end()).size() == kMessages);
        CHECK(f.store.status().counts.at(MessageState::Acked) == kMessages);
        const WriteStats after = f.store.writeStats();
        CHECK(after.commits - before.commits < after.writes - before.writes);
        CHECK(f.store.verifyAudit().intact);
    }

    TEST_CASE("group commit: a write that fails in a batch fails alone and the rest commit") {
        constexpr int kThreads = 5;
        GroupFixture f;
        REQUIRE(f.enqueue(idOf(2))); // thread 2 will try to store this MessageId again
        const WriteStats before = f.store.writeStats();
        f.holdFirstBatchFor(kThreads);

        std::vector<std::optional<Error>> outcomes(kThreads);
        GroupFixture::onThreads(kThreads, [&](int thread) {
            const Status stored = f.enqueue(idOf(thread));
            if (!stored) {
                outcomes[thread] = stored.error();
            }
        });

        const WriteStats after = f.store.writeStats();
        CHECK(after.commits - before.commits == 1); // one batch held them all
        CHECK(after.writes - before.writes == kThreads);
        for (int thread = 0; thread < kThreads; ++thread) {
            CAPTURE(thread);
            if (thread == 2) {
                REQUIRE(outcomes[thread].has_value());
                CHECK(outcomes[thread]->message == "message msg-2 already exists");
            } else {
                CHECK_FALSE(outcomes[thread].has_value());
                CHECK(f.store.findMessage(idOf(thread)).has_value());
            }
        }
        CHECK(countRows(f.file, "SELECT COUNT(*) FROM messages") == kThreads);
        CHECK(f.store.auditForMessage(idOf(2)).size() == 1); // the original's row only
        const AuditVerification verification = f.store.verifyAudit();
        CHECK(verification.intact);
        CHECK(verification.rowsChecked == kThreads);
    }

    TEST_CASE("group commit: no caller returns before the commit holding its write") {
        constexpr int kThreads = 4;
        GroupFixture f;
        REQUIRE(f.enqueue("earlier"));
        std::atomic<int> returned{0};
        std::atomic<int> checkedBatches{0};
        std::atomic<bool> first{true};

        SqliteStore::WriteHooks hooks;
        hooks.beforeBatch = [&] {
            if (first.load()) {
                f.store.waitForQueuedWrites(kThreads);
            }
        };
        hooks.beforeCommit = [&](std::size_t writes) {
            if (!first.exchange(false)) {
                return;
            }
            ++checkedBatches;
            CHECK(writes == kThreads);
            // Every write of the batch has run, none has committed, and no caller has returned.
            CHECK(returned.load() == 0);
            CHECK(countRows(f.file, "SELECT COUNT(*) FROM messages") == 1);
            // Reads go to their own connection: they do not wait for this commit, and see the
            // last one.
            CHECK(f.store.status().counts.at(MessageState::Queued) == 1);
            CHECK_FALSE(f.store.findMessage(idOf(0)).has_value());
        };
        f.store.setWriteHooks(std::move(hooks));

        std::atomic<int> visibleOnReturn{0};
        GroupFixture::onThreads(kThreads, [&](int thread) {
            const Status stored = f.enqueue(idOf(thread));
            ++returned;
            // Committed, so another connection (another process) sees it already.
            if (stored && countRows(f.file, "SELECT COUNT(*) FROM messages WHERE message_id = '" +
                                                idOf(thread) + "'") == 1) {
                ++visibleOnReturn;
            }
        });

        CHECK(checkedBatches.load() == 1);
        CHECK(visibleOnReturn.load() == kThreads);
        // A read right after a write returned sees that write.
        CHECK(f.store.findMessage(idOf(0)).has_value());
    }

    TEST_CASE("group commit: a storage fault at the commit fails every write of the batch") {
        constexpr int kThreads = 4;
        faulty_disk::Installed disk;
        GroupFixture f;
        REQUIRE(f.enqueue("earlier"));
        const WriteStats before = f.store.writeStats();
        std::atomic<bool> first{true};

        SqliteStore::WriteHooks hooks;
        hooks.beforeBatch = [&] {
            if (first.load()) {
                f.store.waitForQueuedWrites(kThreads);
            }
        };
        hooks.beforeCommit = [&](std::size_t) {
            if (first.exchange(false)) {
                faulty_disk::failWritesWith = SQLITE_FULL; // the disk fills as the batch commits
            }
        };
        f.store.setWriteHooks(std::move(hooks));

        std::vector<std::optional<Error>> outcomes(kThreads);
        GroupFixture::onThreads(kThreads, [&](int thread) {
            const Status stored = f.enqueue(idOf(thread));
            if (!stored) {
                outcomes[thread] = stored.error();
            }
        });
        faulty_disk::failWritesWith = 0; // space freed

        for (int thread = 0; thread < kThreads; ++thread) {
            CAPTURE(thread);
            REQUIRE(outcomes[thread].has_value());
            CHECK(outcomes[thread]->where == "store");
            CHECK(outcomes[thread]->message.find("enqueue: ") == 0);
            CHECK(faultName(*outcomes[thread]) == "full");
            CHECK_FALSE(f.store.findMessage(idOf(thread)).has_value());
        }
        CHECK(f.store.writeStats().commits == before.commits); // the batch did not commit
        CHECK(countRows(f.file, "SELECT COUNT(*) FROM messages") == 1);
        CHECK(countRows(f.file, "SELECT COUNT(*) FROM audit") == 1);
        const StatusSummary troubled = f.store.status();
        REQUIRE(troubled.storageProblem.has_value());
        CHECK(std::string(toString(troubled.storageProblem->fault)) == "full");

        // The store goes on: the next write chains its audit row to the last committed one, not
        // to the rows the failed batch never stored.
        REQUIRE(f.enqueue("after"));
        CHECK_FALSE(f.store.status().storageProblem.has_value());
        const AuditVerification verification = f.store.verifyAudit();
        CHECK(verification.intact);
        CHECK(verification.rowsChecked == 2);
    }

} // TEST_SUITE
