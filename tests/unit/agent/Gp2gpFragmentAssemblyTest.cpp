#include "../../../agent/src/gp2gp/FragmentAssembly.hpp"
#include "../../../agent/src/gp2gp/TransferContext.hpp"
#include "../../../agent/src/gp2gp/TransferFiles.hpp"
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

    TEST_CASE("gp2gp fragments: assembled in order whatever order and how often they arrived") {
        gp::test::TempDir dir;
        const auto assembly = gp::agent::gp2gp::assemblyFile(dir.path(), "INDEX");
        const std::string pieces[] = {"alpha-", "beta-", "gamma-", std::string("\0delta\xff", 7)};
        std::vector<ConversationPart> parts;
        // Arrival order 2, 0, 3, 0 again, 1; a fragment of another index is mixed in.
        for (const int i : {2, 0, 3, 0, 1}) {
            const auto file = dir.file("f" + std::to_string(i));
            std::ofstream(file, std::ios::binary) << pieces[i];
            auto arrived = fragment("F" + std::to_string(i), i, "received", file);
            arrived.expectedBytes = static_cast<std::int64_t>(pieces[i].size());
            parts.push_back(arrived);
        }
        auto other = fragment("X0", 0, "received", dir.file("x"));
        other.parentPartId = "OTHER";
        parts.push_back(other);

        const auto status = gp::agent::gp2gp::fragmentStatus(parts, "INDEX");
        REQUIRE(status.complete);
        CHECK(status.expected == 4);
        CHECK(status.received == 4);
        auto placed = gp::agent::gp2gp::placeReceived(parts, "INDEX", assembly);
        REQUIRE(placed.ok());
        REQUIRE(placed->size() == 4);
        for (const auto& part : *placed) {
            CHECK(part.file == assembly);
        }
        gp::agent::gp2gp::mergeParts(parts, *placed);
        const std::string whole = pieces[0] + pieces[1] + pieces[2] + pieces[3];
        auto finished = gp::agent::gp2gp::finishAssembly(parts, "INDEX", assembly, whole.size());
        REQUIRE(finished.ok());
        CHECK(*finished == whole.size());
        CHECK(gp::agent::readWholeFile(assembly) == whole);
    }

    TEST_CASE("gp2gp fragments: one arriving in order goes straight to its place") {
        gp::test::TempDir dir;
        const auto assembly = gp::agent::gp2gp::assemblyFile(dir.path(), "INDEX");
        std::vector<ConversationPart> parts = {fragment("F0", 0, "expected"),
                                               fragment("F1", 1, "expected"),
                                               fragment("F2", 2, "expected")};
        gp::agent::gp2gp::AssemblyPoint point;
        // Fragment 1 first: fragment 0 is not in place yet, so 1 waits in a file of its own.
        CHECK_FALSE(gp::agent::gp2gp::fitsNext(parts, parts[1], assembly, point));
        std::ofstream(dir.file("f1"), std::ios::binary) << "bbbb";
        parts[1] = fragment("F1", 1, "received", dir.file("f1"));
        parts[1].expectedBytes = 4;

        REQUIRE(gp::agent::gp2gp::fitsNext(parts, parts[0], assembly, point));
        CHECK(point.next == 0);
        CHECK(point.offset == 0);
        REQUIRE(gp::agent::gp2gp::writeAtSynced(assembly, point.offset, "aaa").ok());
        parts[0] = fragment("F0", 0, "received", assembly);
        parts[0].expectedBytes = 3;

        // Reconciliation moves 1 in behind 0; 2 then fits next, at the offset after both.
        auto placed = gp::agent::gp2gp::placeReceived(parts, "INDEX", assembly);
        REQUIRE(placed.ok());
        REQUIRE(placed->size() == 1);
        gp::agent::gp2gp::mergeParts(parts, *placed);
        REQUIRE(gp::agent::gp2gp::fitsNext(parts, parts[2], assembly, point));
        CHECK(point.next == 2);
        CHECK(point.offset == 7);
        REQUIRE(gp::agent::gp2gp::writeAtSynced(assembly, point.offset, "cc").ok());
        parts[2] = fragment("F2", 2, "received", assembly);
        parts[2].expectedBytes = 2;

        // Bytes a crashed attempt left beyond the end are cut off.
        REQUIRE(gp::agent::gp2gp::writeAtSynced(assembly, 9, "left over").ok());
        auto finished = gp::agent::gp2gp::finishAssembly(parts, "INDEX", assembly, 9);
        REQUIRE(finished.ok());
        CHECK(gp::agent::readWholeFile(assembly) == "aaabbbbcc");
    }

    TEST_CASE("gp2gp fragments: no fragment goes to a place another fragment holds") {
        gp::test::TempDir dir;
        const auto assembly = gp::agent::gp2gp::assemblyFile(dir.path(), "INDEX");
        std::vector<ConversationPart> parts = {fragment("F0", 0, "expected"),
                                               fragment("G0", 0, "received", dir.file("g"))};
        gp::agent::gp2gp::AssemblyPoint point;
        CHECK_FALSE(gp::agent::gp2gp::fitsNext(parts, parts[0], assembly, point));
        auto unfinished = gp::agent::gp2gp::finishAssembly(parts, "INDEX", assembly, {});
        CHECK_FALSE(unfinished.ok());
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
        const auto assembly = gp::agent::gp2gp::assemblyFile(dir.path(), "INDEX");
        REQUIRE(gp::agent::gp2gp::writeAtSynced(assembly, 0, "12345").ok());
        auto only = fragment("F0", 0, "received", assembly);
        only.expectedBytes = 5;
        auto finished = gp::agent::gp2gp::finishAssembly({only}, "INDEX", assembly, 6);
        REQUIRE_FALSE(finished.ok());
        CHECK(finished.error().where == "Length");
        CHECK(finished.error().message == "fragments join to 5 bytes, the description says 6");
    }

} // TEST_SUITE
