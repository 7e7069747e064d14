#include "../../../agent/src/gp2gp/ExtractPlanner.hpp"

#include <doctest/doctest.h>

using gp::agent::gp2gp::base64WireBytes;
using gp::agent::gp2gp::Placement;
using gp::agent::gp2gp::planExtract;

TEST_SUITE("agent") {

    TEST_CASE("gp2gp plan: small attachments go inline beside a small extract") {
        const auto plan = planExtract({1000, 2000}, 20'000, 20'000, 4'500'000);
        CHECK_FALSE(plan.compressExtract);
        REQUIRE(plan.attachments.size() == 2);
        CHECK(plan.attachments[0].placement == Placement::Inline);
        CHECK(plan.attachments[1].placement == Placement::Inline);
    }

    TEST_CASE("gp2gp plan: an attachment over the threshold is fragmented into threshold pieces") {
        const auto plan = planExtract({10'000, 25'000}, 500, 500, 10'000);
        CHECK(plan.attachments[0].placement != Placement::Fragmented); // exactly the threshold
        CHECK(plan.attachments[1].placement == Placement::Fragmented);
        CHECK(plan.attachments[1].fragmentBytes == 10'000);
        CHECK(plan.attachments[1].fragmentCount == 3);
    }

    TEST_CASE("gp2gp plan: what does not fit in the extract message goes external, largest first") {
        // Budget 10,000: the extract takes 4,000; 1,000 and 3,000 bytes fit base64-encoded, 5,000
        // does not.
        const auto plan = planExtract({5'000, 1'000, 3'000}, 4'000, 4'000, 10'000);
        CHECK(plan.attachments[0].placement == Placement::External);
        CHECK(plan.attachments[1].placement == Placement::Inline);
        CHECK(plan.attachments[2].placement == Placement::Inline);
        CHECK(4'000 + base64WireBytes(1'000) + base64WireBytes(3'000) <= 10'000);
    }

    TEST_CASE("gp2gp plan: an extract over the threshold is compressed and nothing rides inline") {
        const auto plan = planExtract({100, 200}, 12'000, 3'000, 10'000);
        CHECK(plan.compressExtract);
        CHECK(plan.attachments[0].placement == Placement::External);
        CHECK(plan.attachments[1].placement == Placement::External);
    }

    TEST_CASE("gp2gp plan: no message carries more raw bytes than fit under Spine's 5 MB limit") {
        // At the default threshold a 4 MB document is under the threshold, but its base64 form
        // would not fit in one message: it is fragmented at 3,600,000 bytes.
        const auto plan = planExtract({4'000'000}, 50'000, 50'000, 4'500'000);
        CHECK(plan.attachments[0].placement == Placement::Fragmented);
        CHECK(plan.attachments[0].fragmentBytes == 3'600'000);
        CHECK(plan.attachments[0].fragmentCount == 2);
        CHECK(base64WireBytes(3'600'000) < 4'999'600 - 50'000);
    }

    TEST_CASE("gp2gp plan: at most 98 attachments ride inline") {
        const std::vector<std::uint64_t> sizes(100, 10);
        const auto plan = planExtract(sizes, 1'000, 1'000, 4'500'000);
        int inlineCount = 0;
        for (const auto& attachment : plan.attachments) {
            inlineCount += attachment.placement == Placement::Inline ? 1 : 0;
        }
        CHECK(inlineCount == 98);
    }

    TEST_CASE("gp2gp plan: base64 size counts four characters per three bytes and line breaks") {
        CHECK(base64WireBytes(0) == 0);
        CHECK(base64WireBytes(3) == 4 + 2);
        CHECK(base64WireBytes(57) == 76 + 2);
        CHECK(base64WireBytes(58) == 80 + 4);
    }

} // TEST_SUITE
