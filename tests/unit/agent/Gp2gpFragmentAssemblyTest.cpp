#include "../../../agent/src/gp2gp/FragmentAssembly.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>

#include <doctest/doctest.h>

#include <fstream>

namespace {

using gp::agent::ConversationPart;

ConversationPart fragment(const std::string& id, int sequence, const std::string& state,
                          const std::filesystem::path& file = {}) {
    ConversationPart part;
    part.conversationId = "C";
    part.partId = id;
    part.kind = "fragment";
    part.parentPartId = "INDEX";
    part.sequence = sequence;
    part.state = state;
    part.file = file;
    return part;
}

} // namespace

TEST_SUITE("agent") {

    TEST_CASE("gp2gp fragments: joined in order whatever order and how often they arrived") {
        gp::test::TempDir dir;
        const std::string pieces[] = {"alpha-", "beta-", "gamma-", std::string("\0delta\xff", 7)};
        std::vector<ConversationPart> parts;
        // Arrival order 2, 0, 3, 0 again, 1; a fragment of another index is mixed in.
        for (const int i : {2, 0, 3, 0, 1}) {
            const auto file = dir.file("f" + std::to_string(i));
            std::ofstream(file, std::ios::binary) << pieces[i];
            parts.push_back(fragment("F" + std::to_string(i), i, "received", file));
        }
        auto other = fragment("X0", 0, "received", dir.file("x"));
        other.parentPartId = "OTHER";
        parts.push_back(other);

        const auto status = gp::agent::gp2gp::fragmentStatus(parts, "INDEX");
        REQUIRE(status.complete);
        CHECK(status.expected == 4);
        CHECK(status.received == 4);
        const std::string whole = pieces[0] + pieces[1] + pieces[2] + pieces[3];
        auto joined =
            gp::agent::gp2gp::joinFragments(status.files, dir.file("joined"), whole.size());
        REQUIRE(joined.ok());
        CHECK(*joined == whole.size());
        CHECK(gp::agent::readWholeFile(dir.file("joined")) == whole);
    }

    TEST_CASE(
        "gp2gp fragments: incomplete while one is expected or a place in the order is empty") {
        std::vector<ConversationPart> parts = {fragment("F0", 0, "received", "/x/0"),
                                               fragment("F1", 1, "expected")};
        auto status = gp::agent::gp2gp::fragmentStatus(parts, "INDEX");
        CHECK_FALSE(status.complete);
        CHECK(status.received == 1);
        CHECK(status.files.empty());

        // Fragment 2 arrived before its index and before fragment 1 was even listed.
        parts = {fragment("F0", 0, "received", "/x/0"), fragment("F2", 2, "received", "/x/2")};
        status = gp::agent::gp2gp::fragmentStatus(parts, "INDEX");
        CHECK_FALSE(status.complete);
        CHECK(status.expected == 2);
    }

    TEST_CASE("gp2gp fragments: two fragments claiming one place is a problem") {
        const std::vector<ConversationPart> parts = {fragment("F0", 0, "received", "/x/0"),
                                                     fragment("G0", 0, "received", "/x/g")};
        const auto status = gp::agent::gp2gp::fragmentStatus(parts, "INDEX");
        CHECK_FALSE(status.complete);
        CHECK(status.problem == "fragments F0 and G0 both claim place 0");
    }

    TEST_CASE("gp2gp fragments: a total that differs from the description's Length is refused") {
        gp::test::TempDir dir;
        std::ofstream(dir.file("a"), std::ios::binary) << "12345";
        auto joined = gp::agent::gp2gp::joinFragments({dir.file("a")}, dir.file("joined"), 6);
        REQUIRE_FALSE(joined.ok());
        CHECK(joined.error().where == "Length");
        CHECK(joined.error().message == "fragments join to 5 bytes, the description says 6");
    }

} // TEST_SUITE
