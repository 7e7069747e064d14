#pragma once

#include <gp/Result.hpp>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace gp::mock {

class SqliteDatabase;

/// Hooks into GroupCommit for tests, called with no lock held; empty in spine-mock itself.
struct CommitHooks {
    /// A write has just been staged in the open transaction (it is not committed yet).
    std::function<void()> staged;
    /// A writer or reader is about to commit the open transaction: once per commit.
    std::function<void()> beforeCommit;
};

/// Group commit on one SQLite connection (synchronous=FULL, so every COMMIT is an fsync).
/// Concurrent writers stage their changes in one open transaction, each in a savepoint of its
/// own, and one of them commits the lot; every writer returns only once a commit holding its
/// changes has succeeded. Durability and ordering are those of one transaction per write, but
/// many writes share one fsync. A write that fails is rolled back to its savepoint and affects
/// nothing else; a commit that fails fails every write in it.
///
/// Reads see staged writes, so that a duplicate check sees a message whose commit is still under
/// way, and return only once everything they could have seen is on disk.
///
/// A commit waits until no writer is half-way through staging (and no DeferredDurability scope
/// is open), so that those arriving during the previous commit's fsync share the next one.
class GroupCommit {
public:
    using Work = std::function<Status(SqliteDatabase&)>;

    GroupCommit(SqliteDatabase& db, CommitHooks hooks);
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    /// Runs `work` in a savepoint of the open transaction (beginning one if none is open) and
    /// waits for its commit; inside this thread's DeferredDurability scope, returns once staged.
    Status write(const Work& work);
    /// Runs `work` on the connection, then waits until the writes it could see are on disk;
    /// inside this thread's DeferredDurability scope, returns at once.
    Status read(const Work& work);

private:
    friend class DeferredDurability;
    struct Batch {
        bool done = false;
        Status result = success();
    };
    using BatchPtr = std::shared_ptr<Batch>;

    Status stage(const Work& work, BatchPtr& batch);
    void abandonOpenBatch(const Error& why);
    Status awaitBatch(const BatchPtr& batch);
    void commitOpenBatch();
    void enter();
    void leave();

    SqliteDatabase& m_db;
    const CommitHooks m_hooks;

    std::mutex m_connection; // guards m_db and m_open
    BatchPtr m_open;         // the writes staged since the last commit; null: no transaction

    std::mutex m_state; // guards every Batch's fields, m_unstaged and m_committing
    std::condition_variable m_changed;
    int m_unstaged = 0; // writers about to stage, and open DeferredDurability scopes
    bool m_committing = false;
};

/// For a request that reads, decides and writes under a lock of its own (EpsEndpoint's replay
/// check is atomic with its reply's commit that way). While the scope lives, this thread's reads
/// and writes through `commits` return as soon as they are staged; await(), called once that lock
/// is released, waits until all of them are on disk. The next requests thus stage their own
/// writes while this one waits, and share its commit. Since a commit waits for open scopes, the
/// code inside one must never wait for a commit itself.
class DeferredDurability {
public:
    explicit DeferredDurability(GroupCommit& commits);
    /// Awaits, if await() was not called (an early return or an exception).
    ~DeferredDurability();
    DeferredDurability(const DeferredDurability&) = delete;
    DeferredDurability& operator=(const DeferredDurability&) = delete;

    /// Ends the scope and waits for every commit holding what it read or wrote: the first
    /// failure, or success.
    Status await();

private:
    friend class GroupCommit;
    void remember(const GroupCommit::BatchPtr& batch);

    GroupCommit& m_commits;
    std::vector<GroupCommit::BatchPtr> m_batches;
    bool m_awaited = false;
    Status m_result = success();
};

} // namespace gp::mock
