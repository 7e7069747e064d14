// xml::scan against xml::parse: the same refusals, and attribute values as XPath reads them.

#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xml = gp::messaging::xml;

namespace {

/// Every tag as "start {uri}name" or "end", and the attribute `wanted` of each start tag.
class Recorder final : public xml::ElementVisitor {
public:
    explicit Recorder(std::string wanted = "v") : m_wanted(std::move(wanted)) {}
    void startElement(const xml::StartTag& tag) override {
        events.push_back("start {" + std::string(tag.namespaceUri()) + "}" +
                         std::string(tag.localName()));
        values.push_back(tag.attribute(m_wanted));
    }
    void endElement() override { events.push_back("end"); }

    std::vector<std::string> events;
    std::vector<std::optional<std::string>> values;

private:
    std::string m_wanted;
};

class Thrower final : public xml::ElementVisitor {
public:
    void startElement(const xml::StartTag& tag) override {
        if (tag.localName() == "b") {
            throw std::runtime_error("visitor gave up");
        }
    }
    void endElement() override {}
};

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("xml scan reports start and end tags in document order with their namespace") {
        Recorder recorder;
        const auto scanned =
            xml::scan("<?xml version=\"1.0\"?><a xmlns=\"urn:hl7-org:v3\" xmlns:o=\"urn:o\">"
                      "text<!-- c --><o:b v=\"1\"/><c><?pi x?><![CDATA[<d/>]]></c></a>",
                      recorder);
        REQUIRE(scanned.ok());
        CHECK(recorder.events == std::vector<std::string>{"start {urn:hl7-org:v3}a",
                                                          "start {urn:o}b", "end",
                                                          "start {urn:hl7-org:v3}c", "end", "end"});
        CHECK(recorder.values[1] == std::optional<std::string>("1"));
        CHECK_FALSE(recorder.values[0].has_value());
    }

    TEST_CASE("xml scan reads attribute values as XPath's @name does") {
        const std::vector<std::string> values = {
            "plain",     "A&amp;B",      "&lt;&gt;&quot;&apos;", "&#38;", "&#x26;#38;",
            "&amp;#38;", "x&#65;&#x42;", "  spaced\tout\n",      "",      "\xC3\xAB\xE2\x80\x94",
        };
        std::string text = "<r xmlns:o=\"urn:o\">";
        for (const auto& value : values) {
            text += "<e v=\"" + value + "\"/>";
        }
        // An attribute in a namespace is not the unprefixed @v.
        text += "<e o:v=\"namespaced\"/></r>";
        auto document = xml::parse(text);
        REQUIRE(document.ok());
        Recorder recorder;
        REQUIRE(xml::scan(text, recorder).ok());
        REQUIRE(recorder.values.size() == values.size() + 2);
        for (std::size_t i = 0; i < values.size() + 1; ++i) {
            CAPTURE(i);
            const auto expected =
                document->text("/r/e[" + std::to_string(i + 1) + "]/@v", xml::Namespaces{});
            CHECK(recorder.values[i + 1] == expected);
        }
        CHECK_FALSE(recorder.values.back().has_value());
    }

    TEST_CASE("xml scan refuses what parse refuses, with the same error") {
        const std::vector<std::string> refused = {
            "<!DOCTYPE a><a/>",
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
            "<a>\n  <b>text</c>\n</a>",
            "",
            "<x:a/>",
            "<a>&undeclared;</a>",
            "<a b=\"1\" b=\"2\"/>",
            "<a/><b/>",
            "<?xml version=\"1.0\"?>",
        };
        for (const auto& text : refused) {
            CAPTURE(text);
            const auto parsed = xml::parse(text);
            REQUIRE_FALSE(parsed.ok());
            Recorder recorder;
            const auto scanned = xml::scan(text, recorder);
            REQUIRE_FALSE(scanned.ok());
            CHECK(scanned.error().where == parsed.error().where);
            CHECK(scanned.error().message == parsed.error().message);
        }
        xml::ParseLimits limits;
        limits.maxBytes = 16;
        Recorder recorder;
        const auto big = xml::scan("<a>0123456789abcdef</a>", recorder, limits);
        REQUIRE_FALSE(big.ok());
        CHECK(big.error().message == "document is 23 bytes, larger than the limit of 16");
        CHECK(recorder.events.empty());
    }

    TEST_CASE("xml scan rethrows what its visitor throws") {
        Thrower thrower;
        CHECK_THROWS_WITH_AS(xml::scan("<a><b/><c/></a>", thrower), "visitor gave up",
                             std::runtime_error);
    }

} // TEST_SUITE
