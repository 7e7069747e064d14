#include "MockTestSupport.hpp"

#include <gp/mock/MockStore.hpp>

#include <Poco/File.h>
#include <Poco/Path.h>
#include <doctest/doctest.h>

using namespace gp::mock;

TEST_SUITE("spine-mock") {

    TEST_CASE("the store keeps replies, prescriptions and the journal across a reopen") {
        test::TempDir dir;
        const std::string body("--b\r\nbinary\0bytes\r\n--b--", 24);
        {
            MockStore store(dir.path());
            REQUIRE(store
                        .appendJournal({0, "", "PORX_IN020101SM31", "rejected", "MimeProblem",
                                        "2026-03-15T06:51:08.000Z", "", ""})
                        .ok());
            REQUIRE(store
                        .recordProcessed({0, "ID-1", "PORX_IN020101SM31", "processed", "AA",
                                          "2026-03-15T06:51:09.000Z", "", ""},
                                         {200, "multipart/related; boundary=b", body, "AA"},
                                         std::string("24F5DA-A83008-7EFE6Z"))
                        .ok());
        }
        CHECK(Poco::File(Poco::Path(dir.path()).append("spine-mock.db").toString()).exists());

        MockStore reopened(dir.path());
        const auto reply = reopened.findReply("ID-1");
        REQUIRE(reply.ok());
        REQUIRE(reply->has_value());
        CHECK((*reply)->status == 200);
        CHECK((*reply)->contentType == "multipart/related; boundary=b");
        CHECK((*reply)->body == body);
        CHECK((*reply)->replyCode == "AA");
        CHECK_FALSE(reopened.findReply("ID-2")->has_value());

        CHECK(*reopened.prescriptionAcceptedBy("24F5DA-A83008-7EFE6Z").value() == "ID-1");
        CHECK_FALSE(reopened.prescriptionAcceptedBy("0DA698-A83008-F50593")->has_value());

        const auto journal = reopened.journal();
        REQUIRE(journal.ok());
        REQUIRE(journal->size() == 2);
        CHECK((*journal)[0].outcome == "rejected");
        CHECK((*journal)[1].messageId == "ID-1");
        CHECK((*journal)[1].receivedAt == "2026-03-15T06:51:09.000Z");
        CHECK(reopened.journal("ID-1")->size() == 1);
    }

    TEST_CASE("a reply for a MessageId already stored is refused and nothing is half-written") {
        test::TempDir dir;
        MockStore store(dir.path());
        const JournalEntry entry{0, "ID-1", "PORX_IN020101SM31", "processed", "AA", "t", "", ""};
        REQUIRE(store.recordProcessed(entry, {200, "x", "first", "AA"}, std::nullopt).ok());
        const auto again =
            store.recordProcessed(entry, {200, "x", "second", "AA"}, std::string("P"));
        CHECK_FALSE(again.ok());
        CHECK(store.findReply("ID-1")->value().body == "first");
        CHECK_FALSE(store.prescriptionAcceptedBy("P")->has_value());
        CHECK(store.journal()->size() == 1);
    }

} // TEST_SUITE
