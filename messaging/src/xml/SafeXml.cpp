#include <gp/messaging/xml/SafeXml.hpp>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace gp::messaging::xml {

namespace {

const xmlChar* toXml(const std::string& text) {
    return reinterpret_cast<const xmlChar*>(text.c_str());
}

std::string fromXml(const xmlChar* text) {
    return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text));
}

void ignoreGenericError(void*, const char*, ...) {}

void initialiseOnce() {
    // xmlInitParser is not safe to race; a function-local static runs it exactly once.
    static const bool initialised = [] {
        xmlInitParser();
        // Threads started from now on inherit a silent generic handler.
        xmlThrDefSetGenericErrorFunc(nullptr, ignoreGenericError);
        return true;
    }();
    (void)initialised;
    // Some errors (a failed encoding conversion, for one) bypass the parser context and go to
    // this thread's generic handler, which prints them, with bytes of the input, to stderr: the
    // agent's log. Messages carry patient data, so nothing of theirs may reach a log.
    xmlSetGenericErrorFunc(nullptr, ignoreGenericError);
}

struct ParserCtxtDeleter {
    void operator()(xmlParserCtxt* ctxt) const { xmlFreeParserCtxt(ctxt); }
};
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter>;

struct XPathContextDeleter {
    void operator()(xmlXPathContext* ctxt) const { xmlXPathFreeContext(ctxt); }
};
using XPathContextPtr = std::unique_ptr<xmlXPathContext, XPathContextDeleter>;

struct XPathObjectDeleter {
    void operator()(xmlXPathObject* object) const { xmlXPathFreeObject(object); }
};
using XPathObjectPtr = std::unique_ptr<xmlXPathObject, XPathObjectDeleter>;

struct XmlCharDeleter {
    void operator()(xmlChar* text) const { xmlFree(text); }
};
using XmlCharPtr = std::unique_ptr<xmlChar, XmlCharDeleter>;

// Marker left in the parser context by the DOCTYPE hook so the caller can tell our stop from a
// well-formedness error.
struct ParseState {
    bool sawDoctype = false;
};

// Called by libxml2 at `<!DOCTYPE`, before any entity declaration in the internal subset is read,
// so an entity bomb or an external entity is never even declared.
void refuseDoctype(void* userData, const xmlChar*, const xmlChar*, const xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxt*>(userData);
    if (auto* state = static_cast<ParseState*>(ctxt->_private)) {
        state->sawDoctype = true;
    }
    xmlStopParser(ctxt);
}

// Swallows messages that libxml2 would otherwise print to stderr; the caller reads the last error
// from the context instead.
void ignoreStructuredError(void*, xmlError*) {}

Error doctypeError() {
    return Error{"DOCTYPE", "documents with a DOCTYPE are refused"};
}

Error errorFrom(const xmlError* error, const std::string& fallback) {
    if (error == nullptr || error->code == XML_ERR_OK) {
        return Error{"document", fallback};
    }
    std::string message = error->message == nullptr ? fallback : std::string(error->message);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return Error{"line " + std::to_string(error->line) + " column " + std::to_string(error->int2),
                 message};
}

XPathObjectPtr evaluate(xmlDoc* doc, const std::string& xpath, const Namespaces& ns) {
    if (doc == nullptr) {
        throw std::logic_error("XPath query on a moved-from xml::Document");
    }
    XPathContextPtr context(xmlXPathNewContext(doc));
    if (!context) {
        throw std::bad_alloc();
    }
    context->error = ignoreStructuredError;
    for (const auto& [prefix, uri] : ns) {
        xmlXPathRegisterNs(context.get(), toXml(prefix), toXml(uri));
    }
    XPathObjectPtr result(xmlXPathEvalExpression(toXml(xpath), context.get()));
    if (!result) {
        // A bad expression or an unregistered prefix is a bug in our code, not bad input.
        throw std::invalid_argument("invalid XPath expression: " + xpath);
    }
    return result;
}

std::string nodeText(xmlNode* node) {
    XmlCharPtr content(xmlNodeGetContent(node));
    return fromXml(content.get());
}

std::string numberText(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::floor(value) == value && std::fabs(value) < 1e15) {
        return std::to_string(static_cast<long long>(value));
    }
    std::ostringstream out;
    out << value;
    return out.str();
}

std::vector<std::string> resultTexts(const xmlXPathObject& result, bool firstOnly) {
    std::vector<std::string> out;
    switch (result.type) {
    case XPATH_NODESET:
        if (result.nodesetval != nullptr) {
            for (int i = 0; i < result.nodesetval->nodeNr; ++i) {
                out.push_back(nodeText(result.nodesetval->nodeTab[i]));
                if (firstOnly) {
                    break;
                }
            }
        }
        break;
    case XPATH_STRING:
        out.push_back(fromXml(result.stringval));
        break;
    case XPATH_NUMBER:
        out.push_back(numberText(result.floatval));
        break;
    case XPATH_BOOLEAN:
        out.push_back(result.boolval != 0 ? "true" : "false");
        break;
    default:
        break;
    }
    return out;
}

} // namespace

const Namespaces& spineNamespaces() {
    static const Namespaces namespaces{
        {"SOAP", "http://schemas.xmlsoap.org/soap/envelope/"},
        {"eb", "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"},
        {"hl7ebxml", "urn:hl7-org:transport/ebXML/DSTUv1.0"},
        {"xlink", "http://www.w3.org/1999/xlink"},
        {"hl7", "urn:hl7-org:v3"},
        {"nasp", "http://national.carerecords.nhs.uk/schema/"},
    };
    return namespaces;
}

Document::Document(_xmlDoc* doc) noexcept : m_doc(doc) {}

Document::Document(Document&& other) noexcept : m_doc(other.m_doc) {
    other.m_doc = nullptr;
}

Document& Document::operator=(Document&& other) noexcept {
    if (this != &other) {
        if (m_doc != nullptr) {
            xmlFreeDoc(m_doc);
        }
        m_doc = other.m_doc;
        other.m_doc = nullptr;
    }
    return *this;
}

Document::~Document() {
    if (m_doc != nullptr) {
        xmlFreeDoc(m_doc);
    }
}

std::optional<std::string> Document::text(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(m_doc, xpath, ns);
    auto values = resultTexts(*result, true);
    if (values.empty()) {
        return std::nullopt;
    }
    return std::move(values.front());
}

std::vector<std::string> Document::texts(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(m_doc, xpath, ns);
    return resultTexts(*result, false);
}

std::size_t Document::count(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(m_doc, xpath, ns);
    if (result->type == XPATH_NODESET) {
        return result->nodesetval == nullptr ? 0
                                             : static_cast<std::size_t>(result->nodesetval->nodeNr);
    }
    if (result->type == XPATH_NUMBER && result->floatval >= 0) {
        return static_cast<std::size_t>(result->floatval);
    }
    return 0;
}

std::string Document::rootName() const {
    xmlNode* root = m_doc == nullptr ? nullptr : xmlDocGetRootElement(m_doc);
    return root == nullptr ? std::string() : fromXml(root->name);
}

std::string Document::rootNamespace() const {
    xmlNode* root = m_doc == nullptr ? nullptr : xmlDocGetRootElement(m_doc);
    return root == nullptr || root->ns == nullptr ? std::string() : fromXml(root->ns->href);
}

Result<Document> parse(std::string_view xml, const ParseLimits& limits) {
    if (xml.size() > limits.maxBytes) {
        return Error{"document", "document is " + std::to_string(xml.size()) +
                                     " bytes, larger than the limit of " +
                                     std::to_string(limits.maxBytes)};
    }
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
        return Error{"document", "document too large for the XML parser"};
    }
    initialiseOnce();

    ParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (!ctxt) {
        throw std::bad_alloc();
    }
    ParseState state;
    ctxt->_private = &state;
    ctxt->sax->internalSubset = refuseDoctype;
    ctxt->sax->serror = ignoreStructuredError;

    // Deliberately absent: XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD,
    // XML_PARSE_DTDATTR, XML_PARSE_DTDVALID, XML_PARSE_HUGE, XML_PARSE_XINCLUDE.
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    xmlDoc* raw = xmlCtxtReadMemory(ctxt.get(), xml.data(), static_cast<int>(xml.size()), nullptr,
                                    nullptr, options);
    Document doc(raw);

    const xmlError* last = xmlCtxtGetLastError(ctxt.get());
    const bool stopped = last != nullptr && last->code == XML_ERR_USER_STOP;
    if (state.sawDoctype || stopped ||
        (raw != nullptr && (raw->intSubset != nullptr || raw->extSubset != nullptr))) {
        return doctypeError();
    }
    if (raw == nullptr || ctxt->wellFormed == 0) {
        return errorFrom(last, "document is not well-formed XML");
    }
    if (ctxt->nsWellFormed == 0) {
        return errorFrom(last, "namespace error");
    }
    if (xmlDocGetRootElement(raw) == nullptr) {
        return Error{"document", "no root element"};
    }
    return doc;
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace gp::messaging::xml
