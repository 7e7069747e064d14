// How a failed write is read: the one function behind the local API's 507/503 and the status
// page's storage line.

#include <gp/agent/store/Store.hpp>

#include <doctest/doctest.h>

#include <cerrno>
#include <cstring>

using namespace gp;
using namespace gp::agent;

namespace {

/// "full", "io-error" or "none", so that a failed check prints what it saw.
std::string faultOf(const Error& error) {
    const auto fault = storageFaultOf(error);
    return fault ? std::string(toString(*fault)) : "none";
}

} // namespace

TEST_CASE("storage faults: a full disk is told from a failing one and from other failures") {
    CHECK(faultOf(failure("store", "enqueue: database or disk is full (SQLITE_FULL)")) == "full");
    CHECK(faultOf(failure("inbox", std::string("cannot write the received body: ") +
                                       std::strerror(ENOSPC))) == "full");
    CHECK(faultOf(failure("store", "COMMIT: disk I/O error (SQLITE_IOERR_FSYNC)")) == "io-error");
    CHECK(faultOf(failure("inbox", std::string("cannot sync the received body: ") +
                                       std::strerror(EIO))) == "io-error");
    CHECK(faultOf(failure("store",
                          "enqueue: UNIQUE constraint failed (SQLITE_CONSTRAINT_PRIMARYKEY)")) ==
          "none");
    CHECK(faultOf(failure("nhsNumber", "check digit does not match")) == "none");
}

TEST_CASE("storage faults: PostgreSQL's disk full and I/O error are read from their SQLSTATE") {
    CHECK(faultOf(failure("store", "enqueue: statement failed: ERROR:  could not extend file"
                                   " \"base/5/16384\" (SQLSTATE 53100)")) == "full");
    CHECK(faultOf(failure("store", "COMMIT: statement failed: ERROR:  could not read block 7"
                                   " (SQLSTATE 58030)")) == "io-error");
    CHECK(faultOf(failure("store", "enqueue: statement failed: ERROR:  duplicate key value"
                                   " (SQLSTATE 23505)")) == "none");
}
