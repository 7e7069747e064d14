#pragma once

#include <gp/Result.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// libxml2's document type, declared here so that callers need not include libxml2's headers.
struct _xmlDoc;

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

/// An owned, parsed document. Move-only; frees the libxml2 document when destroyed.
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

private:
    _xmlDoc* m_doc;
};

Result<Document> parse(std::string_view xml, const ParseLimits& limits = {});

/// Escapes &, <, >, " and ' for use in element text or attribute values.
std::string escape(std::string_view text);

} // namespace gp::messaging::xml
