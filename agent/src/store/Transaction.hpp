#pragma once

#include "Database.hpp"

namespace gp::agent::sqlite {

/// BEGIN IMMEDIATE on construction, so the write lock is taken before anything is read and two
/// writers cannot both read-then-write; ROLLBACK in the destructor unless commit() succeeded.
class Transaction {
public:
    explicit Transaction(Database& database);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    /// With synchronous=FULL the commit is on disk when this returns.
    void commit();

private:
    Database& m_database;
    bool m_committed = false;
};

/// A read transaction (deferred BEGIN) for as long as it lives, so that the several queries of
/// one read see the same snapshot even while another connection commits beside them (WAL).
class ReadSnapshot {
public:
    explicit ReadSnapshot(Database& database);
    ~ReadSnapshot();
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;

private:
    Database& m_database;
};

} // namespace gp::agent::sqlite
