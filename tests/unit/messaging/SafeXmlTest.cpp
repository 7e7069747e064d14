#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

using gp::messaging::xml::Namespaces;
using gp::messaging::xml::parse;
using gp::messaging::xml::ParseLimits;

TEST_SUITE("messaging") {

    TEST_CASE("xml parse reads a namespaced document and answers XPath queries") {
        const std::string text =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<SOAP:Envelope xmlns:SOAP=\"http://schemas.xmlsoap.org/soap/envelope/\""
            " xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/"
            "msg-header-2_0.xsd\">"
            "<SOAP:Header><eb:MessageHeader eb:version=\"2.0\">"
            "<eb:Action>PORX_IN020101SM31</eb:Action>"
            "<eb:Ref>one</eb:Ref><eb:Ref>two</eb:Ref>"
            "</eb:MessageHeader></SOAP:Header></SOAP:Envelope>";
        auto doc = parse(text);
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "Envelope");
        CHECK(doc->rootNamespace() == "http://schemas.xmlsoap.org/soap/envelope/");
        CHECK(doc->text("/SOAP:Envelope/SOAP:Header/eb:MessageHeader/eb:Action") ==
              std::optional<std::string>("PORX_IN020101SM31"));
        CHECK(doc->text("//eb:MessageHeader/@eb:version") == std::optional<std::string>("2.0"));
        CHECK(doc->texts("//eb:Ref") == std::vector<std::string>{"one", "two"});
        CHECK(doc->count("//eb:Ref") == 2);
        CHECK(doc->count("//eb:Missing") == 0);
        CHECK_FALSE(doc->text("//eb:Missing").has_value());
        CHECK(doc->text("count(//eb:Ref)") == std::optional<std::string>("2"));
    }

    TEST_CASE("xml XPath matches by namespace URI not by the prefix the document used") {
        auto doc = parse("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                         "<s:Body><x:Thing xmlns:x=\"urn:hl7-org:v3\">v</x:Thing></s:Body>"
                         "</s:Envelope>");
        REQUIRE(doc.ok());
        CHECK(doc->text("/SOAP:Envelope/SOAP:Body/hl7:Thing") == std::optional<std::string>("v"));
        const Namespaces custom{{"q", "urn:hl7-org:v3"}};
        CHECK(doc->count("//q:Thing", custom) == 1);
    }

    TEST_CASE("xml multibyte UTF-8 text comes back unchanged") {
        const std::string name =
            "Zo\xC3\xAB \xC3\x98\x64\x65g\xC3\xA5rd \xE2\x80\x94 \xE6\x9D\xB1\xE4\xBA\xAC";
        auto doc = parse("<n>" + name + "</n>");
        REQUIRE(doc.ok());
        CHECK(doc->text("/n") == std::optional<std::string>(name));
    }

    TEST_CASE("xml a DOCTYPE is refused even without entities") {
        auto doc = parse("<?xml version=\"1.0\"?><!DOCTYPE a><a/>");
        REQUIRE_FALSE(doc.ok());
        CHECK(doc.error().where == "DOCTYPE");
        CHECK(doc.error().message == "documents with a DOCTYPE are refused");
    }

    TEST_CASE("xml a billion laughs entity bomb is refused and never expanded") {
        std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
        bomb += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
        for (int i = 2; i <= 9; ++i) {
            bomb += "<!ENTITY lol" + std::to_string(i) + " \"";
            for (int j = 0; j < 10; ++j) {
                bomb += "&lol" + std::to_string(i - 1) + ";";
            }
            bomb += "\">\n";
        }
        bomb += "]>\n<lolz>&lol9;</lolz>";
        auto doc = parse(bomb);
        REQUIRE_FALSE(doc.ok());
        CHECK(doc.error().where == "DOCTYPE");
        CHECK(doc.error().message.find("lol") == std::string::npos);
    }

    TEST_CASE("xml an external entity is refused and the file is never read") {
        const std::string xxe = "<?xml version=\"1.0\"?>\n"
                                "<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n"
                                "<foo>&xxe;</foo>";
        auto doc = parse(xxe);
        REQUIRE_FALSE(doc.ok());
        CHECK(doc.error().where == "DOCTYPE");
        CHECK(doc.error().message.find("root") == std::string::npos);

        const std::string external = "<?xml version=\"1.0\"?>\n"
                                     "<!DOCTYPE foo SYSTEM \"http://127.0.0.1:1/evil.dtd\"><foo/>";
        auto doc2 = parse(external);
        REQUIRE_FALSE(doc2.ok());
        CHECK(doc2.error().where == "DOCTYPE");
    }

    TEST_CASE("xml a document over the size cap is refused before parsing") {
        ParseLimits limits;
        limits.maxBytes = 16;
        auto small = parse("<a>0123456</a>", limits);
        CHECK(small.ok());
        auto big = parse("<a>0123456789abcdef</a>", limits);
        REQUIRE_FALSE(big.ok());
        CHECK(big.error().where == "document");
        CHECK(big.error().message == "document is 23 bytes, larger than the limit of 16");
    }

    TEST_CASE("xml malformed documents name line and column") {
        auto doc = parse("<a>\n  <b>text</c>\n</a>");
        REQUIRE_FALSE(doc.ok());
        CHECK(doc.error().where.rfind("line 2 column ", 0) == 0);
        CHECK(doc.error().message.find("mismatch") != std::string::npos);

        auto empty = parse("");
        REQUIRE_FALSE(empty.ok());
        CHECK(empty.error().where.rfind("line ", 0) == 0);

        auto unbound = parse("<x:a/>");
        REQUIRE_FALSE(unbound.ok());
        CHECK(unbound.error().where == "line 1 column 5");
        CHECK(unbound.error().message.find("prefix x") != std::string::npos);
    }

    TEST_CASE("xml an invalid XPath expression is a programming error") {
        auto doc = parse("<a/>");
        REQUIRE(doc.ok());
        CHECK_THROWS_AS(doc->count("//undeclared:thing"), std::invalid_argument);
        CHECK_THROWS_AS(doc->text("(("), std::invalid_argument);
    }

    TEST_CASE("xml documents are movable and the moved-to one stays usable") {
        auto doc = parse("<a>x</a>");
        REQUIRE(doc.ok());
        gp::messaging::xml::Document moved = std::move(doc).value();
        CHECK(moved.text("/a") == std::optional<std::string>("x"));
    }

    TEST_CASE("xml queries of one document under different prefixes and after errors agree") {
        // The document's queries share one XPath context: each must see only its own prefixes
        // and start from the document root, whatever ran before it.
        auto doc = parse("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\">"
                         "<s:Body><x:Thing xmlns:x=\"urn:hl7-org:v3\" n=\"1\">v</x:Thing>"
                         "<x:Thing xmlns:x=\"urn:hl7-org:v3\" n=\"2\">w</x:Thing></s:Body>"
                         "</s:Envelope>");
        REQUIRE(doc.ok());
        const Namespaces hl7AsQ{{"q", "urn:hl7-org:v3"}};
        const Namespaces soapAsQ{{"q", "http://schemas.xmlsoap.org/soap/envelope/"}};
        for (int round = 0; round < 2; ++round) {
            CHECK(doc->count("//hl7:Thing") == 2);
            CHECK(doc->count("//q:Thing", hl7AsQ) == 2);
            CHECK(doc->count("//q:Thing", soapAsQ) == 0);
            CHECK_THROWS_AS(doc->count("//hl7:Thing", hl7AsQ), std::invalid_argument);
            CHECK(doc->count("/q:Envelope/q:Body", soapAsQ) == 1);
            CHECK(doc->text("(//hl7:Thing)[2]/@n") == std::optional<std::string>("2"));
            CHECK_THROWS_AS(doc->text("(("), std::invalid_argument);
            CHECK(doc->texts("//hl7:Thing[position() = last()]") == std::vector<std::string>{"w"});
            CHECK(doc->text("count(//hl7:Thing)") == std::optional<std::string>("2"));
        }
    }

    TEST_CASE("xml elements give children, text and attributes as XPath reads them") {
        auto doc = parse("<r xmlns=\"urn:a\" xmlns:b=\"urn:b\" id=\"1\" b:id=\"2\">"
                         "<c>x<!-- c -->y<d>z</d></c><b:c/><c k=\"A&amp;B\"/>text</r>");
        REQUIRE(doc.ok());
        const auto root = doc->root();
        CHECK(root.localName() == "r");
        CHECK(root.namespaceUri() == "urn:a");
        CHECK(root.attribute("id") == std::optional<std::string>("1"));
        CHECK(root.attribute("id", "urn:b") == std::optional<std::string>("2"));
        CHECK_FALSE(root.attribute("id", "urn:a").has_value());
        const auto children = root.children("urn:a", "c");
        REQUIRE(children.size() == 2);
        CHECK(children[0].text() == "xyz");
        CHECK(children[1].attribute("k") == doc->text("/q:r/q:c[2]/@k", {{"q", "urn:a"}}));
        CHECK(root.children("urn:b", "c").size() == 1);
        CHECK(root.children("", "c").empty());
        CHECK(root.text() == doc->text("/q:r", {{"q", "urn:a"}}));
    }

    TEST_CASE("xml escape replaces the five markup characters") {
        CHECK(gp::messaging::xml::escape("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f");
        CHECK(gp::messaging::xml::escape("Zo\xC3\xAB") == "Zo\xC3\xAB");
        CHECK(gp::messaging::xml::escape("&&") == "&amp;&amp;");
        CHECK(gp::messaging::xml::escape("") == "");
        std::string out = "<a>";
        gp::messaging::xml::escapeInto(out, "x<y'");
        CHECK(out == "<a>x&lt;y&apos;");
    }

    TEST_CASE("xml parse writes nothing to stderr, not even for an encoding error") {
        // libxml2 reports a failed encoding conversion, with bytes of the input, to its generic
        // handler: stderr, which is the agent's log. The bytes may be a patient's.
        const std::string undecodable = "<?xml version=\"1.0\" encoding=\"ISO-2022-JP\"?>"
                                        "<a>\x1b$B\xff\xfe\x1b(B</a>";
        const std::string capture = "safexml-stderr-" + std::to_string(getpid()) + ".txt";
        std::fflush(stderr);
        const int saved = dup(STDERR_FILENO);
        REQUIRE(saved >= 0);
        std::FILE* file = std::fopen(capture.c_str(), "w");
        REQUIRE(file != nullptr);
        dup2(fileno(file), STDERR_FILENO);
        const auto result = parse(undecodable, ParseLimits{});
        std::fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
        std::fclose(file);
        std::ifstream in(capture);
        std::stringstream written;
        written << in.rdbuf();
        std::remove(capture.c_str());
        CHECK_FALSE(result.ok());
        CHECK(written.str() == "");
    }

} // TEST_SUITE
