#include <gp/messaging/xml/SafeXml.hpp>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

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
    ElementVisitor* visitor = nullptr; // scan() only
    bool sawElement = false;
    std::exception_ptr visitorError;
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

struct CompiledXPathDeleter {
    void operator()(xmlXPathCompExpr* compiled) const { xmlXPathFreeCompExpr(compiled); }
};
using CompiledXPathPtr = std::unique_ptr<xmlXPathCompExpr, CompiledXPathDeleter>;

// Compiling an expression costs about as much as running it on an ebXML envelope, and readers ask
// the same few dozen expressions of every message. Each thread keeps its own compiled ones, since
// libxml2 caches function lookups inside a compiled expression while running it. Prefixes are
// resolved when an expression runs, so one compiled expression serves any namespace map. The
// bound only matters for callers that put values into expressions.
constexpr std::size_t kMaxCompiledPerThread = 256;

// Compiled without a context, so that no compiled expression holds on to a document's
// dictionary.
xmlXPathCompExpr* compiledXPath(const std::string& xpath, CompiledXPathPtr& uncached) {
    thread_local std::unordered_map<std::string, CompiledXPathPtr> compiled;
    if (const auto found = compiled.find(xpath); found != compiled.end()) {
        return found->second.get();
    }
    CompiledXPathPtr fresh(xmlXPathCompile(toXml(xpath)));
    if (!fresh) {
        // A bad expression is a bug in our code, not bad input.
        throw std::invalid_argument("invalid XPath expression: " + xpath);
    }
    if (compiled.size() >= kMaxCompiledPerThread) {
        uncached = std::move(fresh);
        return uncached.get();
    }
    return compiled.emplace(xpath, std::move(fresh)).first->second.get();
}

XPathObjectPtr evaluate(xmlXPathContext* context, const std::string& xpath) {
    CompiledXPathPtr uncached;
    XPathObjectPtr result(xmlXPathCompiledEval(compiledXPath(xpath, uncached), context));
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

struct Document::QueryContext {
    XPathContextPtr context;
    Namespaces registered;
    bool registeredUsual = false; // `registered` is spineNamespaces()
};

Document::Document(_xmlDoc* doc) noexcept : m_doc(doc) {}

Document::Document(Document&& other) noexcept
    : m_doc(other.m_doc), m_query(std::move(other.m_query)) {
    other.m_doc = nullptr;
}

Document& Document::operator=(Document&& other) noexcept {
    if (this != &other) {
        m_query.reset(); // it points into the document
        if (m_doc != nullptr) {
            xmlFreeDoc(m_doc);
        }
        m_doc = other.m_doc;
        m_query = std::move(other.m_query);
        other.m_doc = nullptr;
    }
    return *this;
}

Document::~Document() {
    m_query.reset();
    if (m_doc != nullptr) {
        xmlFreeDoc(m_doc);
    }
}

Document::QueryContext& Document::queryContext(const Namespaces& ns) const {
    if (m_doc == nullptr) {
        throw std::logic_error("XPath query on a moved-from xml::Document");
    }
    if (!m_query) {
        XPathContextPtr context(xmlXPathNewContext(m_doc));
        if (!context) {
            throw std::bad_alloc();
        }
        context->error = ignoreStructuredError;
        m_query = std::make_unique<QueryContext>(QueryContext{std::move(context), {}, false});
    }
    xmlXPathContext* context = m_query->context.get();
    // The usual map is recognised by its address rather than compared entry by entry per query.
    const bool usual = &ns == &spineNamespaces();
    if (!(usual && m_query->registeredUsual) &&
        (m_query->registered.empty() || m_query->registered != ns)) {
        xmlXPathRegisteredNsCleanup(context);
        for (const auto& [prefix, uri] : ns) {
            xmlXPathRegisterNs(context, toXml(prefix), toXml(uri));
        }
        m_query->registered = ns;
    }
    m_query->registeredUsual = usual;
    // Every query starts where a new context would: evaluation moves these.
    context->node = nullptr;
    context->contextSize = -1;
    context->proximityPosition = -1;
    context->depth = 0;
    context->opCount = 0;
    xmlResetError(&context->lastError);
    return *m_query;
}

std::optional<std::string> Document::text(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(queryContext(ns).context.get(), xpath);
    auto values = resultTexts(*result, true);
    if (values.empty()) {
        return std::nullopt;
    }
    return std::move(values.front());
}

std::vector<std::string> Document::texts(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(queryContext(ns).context.get(), xpath);
    return resultTexts(*result, false);
}

std::size_t Document::count(const std::string& xpath, const Namespaces& ns) const {
    auto result = evaluate(queryContext(ns).context.get(), xpath);
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

namespace {

std::optional<Error> sizeError(std::string_view xml, const ParseLimits& limits) {
    if (xml.size() > limits.maxBytes) {
        return Error{"document", "document is " + std::to_string(xml.size()) +
                                     " bytes, larger than the limit of " +
                                     std::to_string(limits.maxBytes)};
    }
    if (xml.size() > static_cast<std::size_t>(INT32_MAX)) {
        return Error{"document", "document too large for the XML parser"};
    }
    return std::nullopt;
}

ParserCtxtPtr newParserContext(ParseState& state) {
    initialiseOnce();
    ParserCtxtPtr ctxt(xmlNewParserCtxt());
    if (!ctxt) {
        throw std::bad_alloc();
    }
    ctxt->_private = &state;
    ctxt->sax->internalSubset = refuseDoctype;
    ctxt->sax->serror = ignoreStructuredError;
    return ctxt;
}

xmlDoc* readMemory(xmlParserCtxt* ctxt, std::string_view xml) {
    // Deliberately absent: XML_PARSE_NOENT (entity substitution), XML_PARSE_DTDLOAD,
    // XML_PARSE_DTDATTR, XML_PARSE_DTDVALID, XML_PARSE_HUGE, XML_PARSE_XINCLUDE.
    const int options =
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
    return xmlCtxtReadMemory(ctxt, xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                             options);
}

// Why a finished parse is refused, in the order parse() has always judged it; nothing if it is
// not. `raw`: the document libxml2 returned; `hasRoot`: the parse saw a root element.
std::optional<Error> refusal(xmlParserCtxt* ctxt, const ParseState& state, const xmlDoc* raw,
                             bool hasRoot) {
    const xmlError* last = xmlCtxtGetLastError(ctxt);
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
    if (!hasRoot) {
        return Error{"document", "no root element"};
    }
    return std::nullopt;
}

void scanStartElement(void* context, const xmlChar* localName, const xmlChar*, const xmlChar* uri,
                      int, const xmlChar**, int attributeCount, int, const xmlChar** attributes) {
    auto* ctxt = static_cast<xmlParserCtxt*>(context);
    auto& state = *static_cast<ParseState*>(ctxt->_private);
    state.sawElement = true;
    if (state.visitorError) {
        return;
    }
    try {
        const auto* name = reinterpret_cast<const char*>(localName);
        const auto* ns = reinterpret_cast<const char*>(uri);
        state.visitor->startElement(
            StartTag(name, ns == nullptr ? std::string_view() : ns, attributes, attributeCount));
    } catch (...) {
        // Exceptions must not unwind through libxml2's C frames.
        state.visitorError = std::current_exception();
        xmlStopParser(ctxt);
    }
}

void scanEndElement(void* context, const xmlChar*, const xmlChar*, const xmlChar*) {
    auto* ctxt = static_cast<xmlParserCtxt*>(context);
    auto& state = *static_cast<ParseState*>(ctxt->_private);
    if (state.visitorError) {
        return;
    }
    try {
        state.visitor->endElement();
    } catch (...) {
        state.visitorError = std::current_exception();
        xmlStopParser(ctxt);
    }
}

} // namespace

std::string_view Element::localName() const {
    return reinterpret_cast<const char*>(m_node->name);
}

std::string_view Element::namespaceUri() const {
    return m_node->ns == nullptr || m_node->ns->href == nullptr
               ? std::string_view()
               : std::string_view(reinterpret_cast<const char*>(m_node->ns->href));
}

std::string Element::text() const {
    return nodeText(m_node);
}

std::optional<std::string> Element::attribute(std::string_view localName,
                                              std::string_view namespaceUri) const {
    for (xmlAttr* attribute = m_node->properties; attribute != nullptr;
         attribute = attribute->next) {
        const std::string_view uri = attribute->ns == nullptr || attribute->ns->href == nullptr
                                         ? std::string_view()
                                         : reinterpret_cast<const char*>(attribute->ns->href);
        if (uri == namespaceUri && localName == reinterpret_cast<const char*>(attribute->name)) {
            return nodeText(reinterpret_cast<xmlNode*>(attribute));
        }
    }
    return std::nullopt;
}

std::vector<Element> Element::children(std::string_view namespaceUri,
                                       std::string_view localName) const {
    std::vector<Element> out;
    for (xmlNode* child = m_node->children; child != nullptr; child = child->next) {
        if (child->type != XML_ELEMENT_NODE) {
            continue;
        }
        const Element element(child);
        if (element.localName() == localName && element.namespaceUri() == namespaceUri) {
            out.push_back(element);
        }
    }
    return out;
}

Element Document::root() const {
    xmlNode* root = m_doc == nullptr ? nullptr : xmlDocGetRootElement(m_doc);
    if (root == nullptr) {
        throw std::logic_error("root() of a moved-from xml::Document");
    }
    return Element(root);
}

Result<Document> parse(std::string_view xml, const ParseLimits& limits) {
    if (auto tooLarge = sizeError(xml, limits)) {
        return *tooLarge;
    }
    ParseState state;
    ParserCtxtPtr ctxt = newParserContext(state);
    xmlDoc* raw = readMemory(ctxt.get(), xml);
    Document doc(raw);
    if (auto refused = refusal(ctxt.get(), state, raw,
                               raw != nullptr && xmlDocGetRootElement(raw) != nullptr)) {
        return *refused;
    }
    return doc;
}

std::optional<std::string> StartTag::attribute(std::string_view localName) const {
    // libxml2 passes each attribute as localname, prefix, URI, value start, value end.
    const auto* fields = static_cast<const xmlChar* const*>(m_attributes);
    for (int i = 0; i < m_attributeCount; ++i) {
        const xmlChar* const* attribute = fields + 5 * i;
        if (attribute[2] != nullptr || localName != reinterpret_cast<const char*>(attribute[0])) {
            continue;
        }
        std::string_view value(reinterpret_cast<const char*>(attribute[3]),
                               static_cast<std::size_t>(attribute[4] - attribute[3]));
        // Without entity substitution libxml2 hands over a resolved '&' as "&#38;" (it resolves
        // every other reference itself), for the tree builder to turn back into '&'.
        constexpr std::string_view kAmpersand = "&#38;";
        std::string out;
        out.reserve(value.size());
        for (auto at = value.find(kAmpersand); at != std::string_view::npos;
             at = value.find(kAmpersand)) {
            out.append(value.substr(0, at));
            out += '&';
            value.remove_prefix(at + kAmpersand.size());
        }
        out.append(value);
        return out;
    }
    return std::nullopt;
}

Status scan(std::string_view xml, ElementVisitor& visitor, const ParseLimits& limits) {
    if (auto tooLarge = sizeError(xml, limits)) {
        return *tooLarge;
    }
    ParseState state;
    state.visitor = &visitor;
    ParserCtxtPtr ctxt = newParserContext(state);
    // Only tags are reported; text, comments and processing instructions are parsed (so checked
    // for well-formedness) and dropped, and no element is ever built.
    xmlSAXHandler* sax = ctxt->sax;
    sax->startElementNs = scanStartElement;
    sax->endElementNs = scanEndElement;
    sax->characters = nullptr;
    sax->ignorableWhitespace = nullptr;
    sax->cdataBlock = nullptr;
    sax->comment = nullptr;
    sax->processingInstruction = nullptr;
    sax->reference = nullptr;
    xmlDoc* raw = readMemory(ctxt.get(), xml);
    const Document shell(raw); // the element-less document, freed on return
    if (state.visitorError) {
        std::rethrow_exception(state.visitorError);
    }
    if (auto refused = refusal(ctxt.get(), state, raw, state.sawElement)) {
        return *refused;
    }
    return success();
}

std::string escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    escapeInto(out, text);
    return out;
}

void escapeInto(std::string& out, std::string_view text) {
    // Runs of characters that need no escaping are appended whole.
    std::size_t start = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        std::string_view replacement;
        switch (text[i]) {
        case '&':
            replacement = "&amp;";
            break;
        case '<':
            replacement = "&lt;";
            break;
        case '>':
            replacement = "&gt;";
            break;
        case '"':
            replacement = "&quot;";
            break;
        case '\'':
            replacement = "&apos;";
            break;
        default:
            continue;
        }
        out.append(text.data() + start, i - start);
        out += replacement;
        start = i + 1;
    }
    out.append(text.data() + start, text.size() - start);
}

} // namespace gp::messaging::xml
