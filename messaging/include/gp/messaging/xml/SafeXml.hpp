#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// libxml2's document and node types, declared here so that callers need not include libxml2's
// headers.
struct _xmlDoc;
struct _xmlNode;

namespace gp::messaging::xml {

/// The one way gp-agent and spine-mock read XML. Parsing never substitutes entities, never
/// loads a DTD, never touches the network, rejects any DOCTYPE and refuses documents larger than
/// `maxBytes`. Errors name the line and column where libxml2 stopped.
struct ParseLimits {
    std::size_t maxBytes = 16 * 1024 * 1024;
};

/// Prefix → namespace URI, for XPath queries.
using Namespaces = std::map<std::string, std::string>;

/// Namespaces every Spine message uses, under their usual prefixes:
/// SOAP, eb, hl7ebxml, xlink, hl7 (urn:hl7-org:v3), nasp.
const Namespaces& spineNamespaces();

/// An element of a Document, valid while the document lives. For readers that walk a small
/// document by fixed child paths, where compiling and running XPath would cost more than the walk.
class Element {
public:
    explicit Element(_xmlNode* node) noexcept : m_node(node) {}

    std::string_view localName() const;
    /// Empty when the element is in no namespace.
    std::string_view namespaceUri() const;
    /// All the text inside it, as XPath's string value of the element.
    std::string text() const;
    /// The attribute with this local name and namespace (empty: none), as XPath's @ reads it.
    std::optional<std::string> attribute(std::string_view localName,
                                         std::string_view namespaceUri = {}) const;
    /// Its child elements with this namespace and local name, in document order.
    std::vector<Element> children(std::string_view namespaceUri, std::string_view localName) const;

private:
    _xmlNode* m_node;
};

/// An owned, parsed document. Move-only; frees the libxml2 document when destroyed. Its queries
/// share one XPath context (made at the first query), so, like any container, one Document is
/// read by one thread at a time.
class Document {
public:
    explicit Document(_xmlDoc* doc) noexcept;
    Document(Document&& other) noexcept;
    Document& operator=(Document&& other) noexcept;
    Document(const Document&) = delete;
    Document& operator=(const Document&) = delete;
    ~Document();

    /// Text of the first node (element text or attribute value) the XPath selects.
    std::optional<std::string> text(const std::string& xpath,
                                    const Namespaces& ns = spineNamespaces()) const;
    /// Text of every node the XPath selects, in document order.
    std::vector<std::string> texts(const std::string& xpath,
                                   const Namespaces& ns = spineNamespaces()) const;
    /// How many nodes the XPath selects.
    std::size_t count(const std::string& xpath, const Namespaces& ns = spineNamespaces()) const;
    /// Local name and namespace URI of the root element.
    std::string rootName() const;
    std::string rootNamespace() const;
    /// The root element (parse() refuses documents without one).
    Element root() const;

private:
    struct QueryContext;
    QueryContext& queryContext(const Namespaces& ns) const;

    _xmlDoc* m_doc;
    // Made once per document rather than per query: a fresh libxml2 XPath context registers
    // every XPath function in a new hash table, which costs more than most of our queries.
    mutable std::unique_ptr<QueryContext> m_query;
};

Result<Document> parse(std::string_view xml, const ParseLimits& limits = {});

/// One start tag as scan() reports it; valid only during the visitor's call.
class StartTag {
public:
    StartTag(std::string_view localName, std::string_view namespaceUri, const void* attributes,
             int attributeCount) noexcept
        : m_localName(localName), m_namespaceUri(namespaceUri), m_attributes(attributes),
          m_attributeCount(attributeCount) {}

    std::string_view localName() const { return m_localName; }
    /// Empty when the element is in no namespace.
    std::string_view namespaceUri() const { return m_namespaceUri; }
    /// The value of the attribute with this local name and no namespace, as XPath's @name reads
    /// it (references resolved), or nothing when the tag has no such attribute.
    std::optional<std::string> attribute(std::string_view localName) const;

private:
    std::string_view m_localName;
    std::string_view m_namespaceUri;
    const void* m_attributes; // libxml2's SAX2 attribute array, five pointers per attribute
    int m_attributeCount;
};

/// What scan() tells, in document order.
class ElementVisitor {
public:
    virtual ~ElementVisitor() = default;
    virtual void startElement(const StartTag& tag) = 0;
    virtual void endElement() = 0;
};

/// Reads a document tag by tag without building a tree, for readers that need a few attributes
/// of a large document: the same refusals and errors as parse() (size, DOCTYPE, well-formedness,
/// namespaces, no root). The visitor may have seen part of a document that turns out to be
/// refused, so what it found stands only when the result is ok. An exception thrown by the
/// visitor stops the scan and is rethrown.
Status scan(std::string_view xml, ElementVisitor& visitor, const ParseLimits& limits = {});

/// Escapes &, <, >, " and ' for use in element text or attribute values.
std::string escape(std::string_view text);
/// The same, appended to `out` (the builders' form: no string made per value).
void escapeInto(std::string& out, std::string_view text);

} // namespace gp::messaging::xml
