#pragma once

// Shared by the PostgreSQL-only test cases (doctest suites "postgres" and the integration tests
// that need the server): one way to do nothing, and say so, when the run has no server.

#include "PostgresTestDatabase.hpp"

#include <doctest/doctest.h>

/// Ends the test case with a message when this run has no test PostgreSQL server: outside
/// ctest's agent-pg and integration-pg runs, whose fixture starts one (docs/testing.md).
#define GP_SKIP_WITHOUT_POSTGRES()                                                                 \
    if (!::gp::test::postgresServerUrl()) {                                                        \
        MESSAGE("skipped: no test PostgreSQL server (GP_TEST_POSTGRES_URL_FILE is unset); "        \
                "ctest -L agent-pg or -L integration-pg starts one");                              \
        return;                                                                                    \
    }
