#include "Transaction.hpp"

namespace gp::agent::sqlite {

Transaction::Transaction(Database& database) : m_database(database) {
    m_database.run("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    // SQLite may already have rolled back by itself (after SQLITE_FULL, for one); a second
    // ROLLBACK would only fail.
    if (!m_committed && m_database.inTransaction()) {
        try {
            m_database.run("ROLLBACK");
        } catch (const SqliteError&) {
            // Nothing more can be done from a destructor; the connection stays usable and the
            // uncommitted changes are not on disk either way.
        }
    }
}

void Transaction::commit() {
    m_database.run("COMMIT");
    m_committed = true;
}

ReadSnapshot::ReadSnapshot(Database& database) : m_database(database) {
    m_database.run("BEGIN");
}

ReadSnapshot::~ReadSnapshot() {
    // A transaction that only read has nothing to commit or lose: ending it just lets go of the
    // snapshot. Failing to (it cannot, short of a misuse) would leave the next BEGIN to report it.
    if (m_database.inTransaction()) {
        try {
            m_database.run("COMMIT");
        } catch (const SqliteError&) {
        }
    }
}

} // namespace gp::agent::sqlite
