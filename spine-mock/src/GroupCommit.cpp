#include "Sqlite.hpp"

#include <gp/mock/GroupCommit.hpp>

#include <stdexcept>
#include <string_view>
#include <utility>

namespace gp::mock {

namespace {

// The scope open on this thread, if any. One per thread: a request handler opens at most one.
thread_local DeferredDurability* t_scope = nullptr;

// One fixed statement, through the connection's cache of compiled ones (these run for every
// write, so compiling them each time would show).
Status run(SqliteDatabase& db, std::string_view sql) {
    return db.prepare(sql).run();
}

} // namespace

GroupCommit::GroupCommit(SqliteDatabase& db, CommitHooks hooks)
    : m_db(db), m_hooks(std::move(hooks)) {}

void GroupCommit::enter() {
    std::lock_guard lock(m_state);
    ++m_unstaged;
}

void GroupCommit::leave() {
    std::lock_guard lock(m_state);
    if (--m_unstaged == 0 && !m_committing) {
        m_changed.notify_all(); // a waiting writer may now commit
    }
}

Status GroupCommit::stage(const Work& work, BatchPtr& batch) {
    std::lock_guard lock(m_connection);
    if (!m_open) {
        if (auto begun = run(m_db, "BEGIN IMMEDIATE"); !begun) {
            return begun;
        }
        m_open = std::make_shared<Batch>();
    }
    batch = m_open;
    Status done = run(m_db, "SAVEPOINT staged");
    if (done) {
        done = work(m_db);
        if (done) {
            done = run(m_db, "RELEASE staged");
        }
    }
    if (done) {
        return done;
    }
    // Undo this write alone. Some errors (a full disk, an I/O error) make SQLite roll back the
    // whole transaction; then every write staged with this one is lost and must hear so.
    if (!m_db.inTransaction() || !run(m_db, "ROLLBACK TO staged") || !run(m_db, "RELEASE staged")) {
        abandonOpenBatch(done.error());
    }
    batch.reset();
    return done;
}

void GroupCommit::abandonOpenBatch(const Error& why) {
    if (m_db.inTransaction()) {
        (void)run(m_db, "ROLLBACK");
    }
    const BatchPtr lost = std::exchange(m_open, nullptr);
    std::lock_guard lock(m_state);
    lost->done = true;
    lost->result =
        failure(why.where, "not stored, another write in its transaction failed: " + why.message);
    m_changed.notify_all();
}

Status GroupCommit::write(const Work& work) {
    DeferredDurability* scope =
        t_scope != nullptr && &t_scope->m_commits == this ? t_scope : nullptr;
    if (scope == nullptr) {
        enter();
    }
    BatchPtr batch;
    const Status staged = stage(work, batch);
    if (scope == nullptr) {
        leave();
    }
    if (!staged) {
        return staged;
    }
    if (m_hooks.staged) {
        m_hooks.staged();
    }
    if (scope != nullptr) {
        scope->remember(batch);
        return staged;
    }
    return awaitBatch(batch);
}

Status GroupCommit::read(const Work& work) {
    BatchPtr batch;
    Status done = success();
    {
        std::lock_guard lock(m_connection);
        done = work(m_db);
        batch = m_open;
    }
    if (!done || !batch) {
        return done;
    }
    if (t_scope != nullptr && &t_scope->m_commits == this) {
        t_scope->remember(batch);
        return done;
    }
    return awaitBatch(batch);
}

Status GroupCommit::awaitBatch(const BatchPtr& batch) {
    std::unique_lock lock(m_state);
    while (!batch->done) {
        if (m_committing || m_unstaged > 0) {
            m_changed.wait(lock);
            continue;
        }
        // Nobody is committing and nobody is about to stage: this thread commits for everyone.
        m_committing = true;
        lock.unlock();
        commitOpenBatch();
        lock.lock();
        m_committing = false;
        m_changed.notify_all();
    }
    return batch->result;
}

void GroupCommit::commitOpenBatch() {
    if (m_hooks.beforeCommit) {
        m_hooks.beforeCommit();
    }
    std::lock_guard lock(m_connection);
    const BatchPtr batch = std::exchange(m_open, nullptr);
    if (!batch) {
        return;
    }
    Status committed = run(m_db, "COMMIT");
    if (!committed && m_db.inTransaction()) {
        (void)run(m_db, "ROLLBACK");
    }
    std::lock_guard state(m_state);
    batch->done = true;
    batch->result = std::move(committed);
}

DeferredDurability::DeferredDurability(GroupCommit& commits) : m_commits(commits) {
    if (t_scope != nullptr) {
        throw std::logic_error("DeferredDurability scopes do not nest");
    }
    m_commits.enter();
    t_scope = this;
}

DeferredDurability::~DeferredDurability() {
    (void)await();
}

void DeferredDurability::remember(const GroupCommit::BatchPtr& batch) {
    if (m_batches.empty() || m_batches.back() != batch) {
        m_batches.push_back(batch);
    }
}

Status DeferredDurability::await() {
    if (m_awaited) {
        return m_result;
    }
    m_awaited = true;
    t_scope = nullptr;
    m_commits.leave();
    for (const auto& batch : m_batches) {
        if (auto committed = m_commits.awaitBatch(batch); !committed && m_result) {
            m_result = committed;
        }
    }
    m_batches.clear();
    return m_result;
}

} // namespace gp::mock
