#include <gp/mock/FaultRule.hpp>

#include <doctest/doctest.h>

using namespace gp::mock;

TEST_SUITE("spine-mock") {

    TEST_CASE("fault rules of every kind are read from admin JSON") {
        SUBCASE("http") {
            const auto rule = parseFaultRule(
                R"({"interaction":"PORX_IN020101SM31","times":2,"fault":{"type":"http","status":503,"retryAfter":1}})");
            REQUIRE(rule.ok());
            CHECK(rule->interaction == "PORX_IN020101SM31");
            CHECK(rule->times == 2);
            CHECK((rule->fault.type == Fault::Type::Http));
            CHECK(rule->fault.status == 503);
            CHECK(rule->fault.retryAfter == 1);
        }
        SUBCASE("soapFault") {
            const auto rule = parseFaultRule(
                R"({"interaction":"*","fault":{"type":"soapFault","codes":["200",206]}})");
            REQUIRE(rule.ok());
            CHECK(rule->times == 1);
            CHECK(rule->fault.codes == std::vector<std::string>{"200", "206"});
        }
        SUBCASE("messageError") {
            const auto rule = parseFaultRule(
                R"({"interaction":"*","fault":{"type":"messageError","errorCode":"ValueNotRecognized","description":"501319:Unknown eb:CPAId"}})");
            REQUIRE(rule.ok());
            CHECK(rule->fault.errorCode == "ValueNotRecognized");
            CHECK(rule->fault.description == "501319:Unknown eb:CPAId");
        }
        SUBCASE("reset, hang and delay") {
            CHECK((parseFaultRule(R"({"interaction":"*","fault":{"type":"reset"}})")->fault.type ==
                   Fault::Type::Reset));
            CHECK(parseFaultRule(R"({"interaction":"*","fault":{"type":"hang","seconds":5}})")
                      ->fault.seconds == 5);
            CHECK(parseFaultRule(R"({"interaction":"*","fault":{"type":"delay","ms":250}})")
                      ->fault.milliseconds == 250);
        }
    }

    TEST_CASE("bad admin JSON is refused naming the field") {
        struct Case {
            const char* json;
            const char* where;
            const char* message;
        };
        const Case cases[] = {
            {"not json", "body", nullptr},
            {"[]", "body", "must be a JSON object"},
            {R"({"fault":{"type":"reset"}})", "interaction", "is required"},
            {R"({"interaction":7,"fault":{"type":"reset"}})", "interaction", "must be a string"},
            {R"({"interaction":"*","times":0,"fault":{"type":"reset"}})", "times",
             "must be a whole number from 1 to 1000000"},
            {R"({"interaction":"*","times":true,"fault":{"type":"reset"}})", "times",
             "must be a whole number from 1 to 1000000"},
            {R"({"interaction":"*","times":1.5,"fault":{"type":"reset"}})", "times",
             "must be a whole number from 1 to 1000000"},
            {R"({"interaction":"*"})", "fault", "is required"},
            {R"({"interaction":"*","fault":{"type":"boom"}})", "fault.type",
             "must be one of http, soapFault, messageError, reset, resetAfterProcessing, hang, "
             "delay, deferred"},
            {R"({"interaction":"*","fault":{"type":"http"}})", "fault.status", "is required"},
            {R"({"interaction":"*","fault":{"type":"http","status":99}})", "fault.status",
             "must be a whole number from 100 to 599"},
            {R"({"interaction":"*","fault":{"type":"http","status":503,"retryAfter":-1}})",
             "fault.retryAfter", "must be a whole number from 0 to 86400"},
            {R"({"interaction":"*","fault":{"type":"soapFault","codes":[]}})", "fault.codes",
             "must hold at least one code"},
            {R"({"interaction":"*","fault":{"type":"soapFault","codes":["200",""]}})",
             "fault.codes[1]", "must be a non-empty string"},
            {R"({"interaction":"*","fault":{"type":"messageError"}})", "fault.errorCode",
             "is required"},
            {R"({"interaction":"*","fault":{"type":"hang","seconds":"5"}})", "fault.seconds",
             "must be a whole number from 0 to 3600"},
            {R"({"interaction":"*","fault":{"type":"delay"}})", "fault.ms", "is required"},
        };
        for (const auto& c : cases) {
            CAPTURE(c.json);
            const auto rule = parseFaultRule(c.json);
            REQUIRE_FALSE(rule.ok());
            CHECK(rule.error().where == c.where);
            if (c.message != nullptr) {
                CHECK(rule.error().message == c.message);
            }
        }
    }

    TEST_CASE("a faults file is an array and errors name the element") {
        const auto rules = parseFaultRules(
            R"([{"interaction":"*","fault":{"type":"reset"}},{"interaction":"*","fault":{"type":"x"}}])");
        REQUIRE_FALSE(rules.ok());
        CHECK(rules.error().where == "[1].fault.type");

        const auto good = parseFaultRules(R"([{"interaction":"*","fault":{"type":"reset"}}])");
        REQUIRE(good.ok());
        CHECK(good->size() == 1);
        CHECK(parseFaultRules("{}").error().message == "must be a JSON array of fault rules");
    }

    TEST_CASE("a rule written as JSON reads back the same") {
        const auto rule = parseFaultRule(
            R"({"interaction":"PORX_IN020101SM31","times":3,"fault":{"type":"http","status":503,"retryAfter":2}})");
        REQUIRE(rule.ok());
        const std::string json = toJson(*rule);
        CHECK(
            json ==
            R"({"interaction":"PORX_IN020101SM31","times":3,"fault":{"type":"http","status":503,"retryAfter":2}})");
        const auto again = parseFaultRule(json);
        REQUIRE(again.ok());
        CHECK(again->fault.retryAfter == 2);
    }

} // TEST_SUITE
