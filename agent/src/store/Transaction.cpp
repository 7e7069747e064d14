#include "Transaction.hpp"

namespace gp::agent::sqlite {

Transaction::Transaction(Database& database) : m_database(database) {
    m_database.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
    // SQLite may already have rolled back by itself (after SQLITE_FULL, for one); a second
    // ROLLBACK would only fail.
    if (!m_committed && m_database.inTransaction()) {
        try {
            m_database.exec("ROLLBACK");
        } catch (const SqliteError&) {
            // Nothing more can be done from a destructor; the connection stays usable and the
            // uncommitted changes are not on disk either way.
        }
    }
}

void Transaction::commit() {
    m_database.exec("COMMIT");
    m_committed = true;
}

} // namespace gp::agent::sqlite
