#include "../../../agent/src/inbound/PersistDurations.hpp"

#include <doctest/doctest.h>

#include <chrono>

using namespace gp::agent;
using namespace std::chrono_literals;

TEST_SUITE("agent") {

    TEST_CASE("inbound MessageIds are remembered for the interaction's persist duration") {
        CHECK(inboundPersistDuration("RCMR_IN010000UK05") == 4h + 10min);
        CHECK(inboundPersistDuration("RCMR_IN030000UK06") == 4h + 10min);
        CHECK(inboundPersistDuration("RCMR_IN030000UK07") == 4h + 10min);
        CHECK(inboundPersistDuration("COPC_IN000001UK01") == 7h);
        CHECK(inboundPersistDuration("MCCI_IN010000UK13") == 4min);
        CHECK(inboundPersistDuration("PORX_IN050101UK31") == 4h + 10min); // not in the table
        CHECK(inboundPersistDuration("") == 4h + 10min);
    }

} // TEST_SUITE
