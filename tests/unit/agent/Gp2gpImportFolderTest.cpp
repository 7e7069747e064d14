#include "../../../agent/src/gp2gp/ImportFolder.hpp"
#include "StoreTestSupport.hpp"

#include <gp/agent/Files.hpp>

#include <doctest/doctest.h>

#include <fstream>

using gp::agent::gp2gp::safeFilename;
using gp::agent::gp2gp::uniqueFilenames;

TEST_SUITE("agent") {

    TEST_CASE("gp2gp import: documents with one name never overwrite each other") {
        const auto names = uniqueFilenames({"letter.pdf", "Letter.PDF", "letter.pdf",
                                            "letter-2.pdf", "ehr-extract.xml", "notes", "notes"});
        const std::vector<std::string> expected = {
            "letter.pdf",        "Letter-2.PDF", "letter-3.pdf", "letter-2-2.pdf",
            "ehr-extract-2.xml", "notes",        "notes-2"};
        CHECK(names == expected);
    }

    TEST_CASE("gp2gp import: a sender's file name cannot leave the folder or hide") {
        CHECK(safeFilename("../../etc/passwd") == "passwd");
        CHECK(safeFilename("C:\\records\\scan.tif") == "scan.tif");
        CHECK(safeFilename("..") == "attachment");
        CHECK(safeFilename("") == "attachment");
        CHECK(safeFilename(".hidden") == "hidden");
        CHECK(safeFilename("a=b c.pdf") == "a=b c.pdf"); // '=' and spaces are allowed on the wire
        CHECK(safeFilename("tab\there?.txt") == "tab_here_.txt");
    }

    TEST_CASE("gp2gp import: the folder appears whole, with the extract, documents and manifest") {
        gp::test::TempDir dir;
        std::ofstream(dir.file("extract"), std::ios::binary) << "<EhrExtract/>";
        std::ofstream(dir.file("one"), std::ios::binary) << "first";
        std::ofstream(dir.file("two"), std::ios::binary) << "second";
        const auto importDir = dir.path() / "import";
        const std::vector<gp::agent::gp2gp::ImportedDocument> documents = {
            {dir.file("one"), "letter.pdf", "letter.pdf", "application/pdf", "P1"},
            {dir.file("two"), "letter-2.pdf", "letter.pdf", "application/pdf", "P2"}};
        REQUIRE(
            gp::agent::gp2gp::writeImportFolder(importDir, "CONV", dir.file("extract"), documents)
                .ok());
        const auto folder = importDir / "CONV";
        CHECK(gp::agent::readWholeFile(folder / "ehr-extract.xml") == "<EhrExtract/>");
        CHECK(gp::agent::readWholeFile(folder / "letter.pdf") == "first");
        CHECK(gp::agent::readWholeFile(folder / "letter-2.pdf") == "second");
        const auto manifest = gp::agent::readWholeFile(folder / "manifest.json");
        CHECK(manifest.find("\"originalFilename\": \"letter.pdf\"") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(importDir / ".CONV.incoming"));

        // Written once: a second call (after a crash before the store step) leaves it alone.
        // (A document may be the received file under a second name, and received files are
        // replaced, never rewritten in place, so this one is replaced too.)
        std::filesystem::remove(dir.file("one"));
        std::ofstream(dir.file("one"), std::ios::binary) << "changed";
        REQUIRE(
            gp::agent::gp2gp::writeImportFolder(importDir, "CONV", dir.file("extract"), documents)
                .ok());
        CHECK(gp::agent::readWholeFile(folder / "letter.pdf") == "first");
    }

    TEST_CASE("gp2gp import: a half-written temporary folder from a crash is replaced") {
        gp::test::TempDir dir;
        std::ofstream(dir.file("extract"), std::ios::binary) << "<EhrExtract/>";
        const auto importDir = dir.path() / "import";
        std::filesystem::create_directories(importDir / ".CONV.incoming");
        std::ofstream(importDir / ".CONV.incoming" / "stale", std::ios::binary) << "x";
        REQUIRE(
            gp::agent::gp2gp::writeImportFolder(importDir, "CONV", dir.file("extract"), {}).ok());
        CHECK_FALSE(std::filesystem::exists(importDir / "CONV" / "stale"));
        CHECK(std::filesystem::exists(importDir / "CONV" / "ehr-extract.xml"));
    }

} // TEST_SUITE
