#pragma once

// Pieces the GP2GP builders and readers share: identifier roots, HL7 time values and ids
// derived from other ids. The transmission wrapper is hl7::openTransmissionWrapper; GP2GP
// interactions pass kVersionCode, except COPC (V3NPfIT3.0).

#include "../hl7/TransmissionWrapper.hpp"

#include <gp/messaging/xml/SafeXml.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gp::messaging::gp2gp::detail {

inline constexpr std::string_view kNhsNumberRoot = "2.16.840.1.113883.2.1.4.1";
inline constexpr std::string_view kOdsRoot = "1.2.826.0.1285.0.1.10";
inline constexpr std::string_view kAsidRoot = hl7::kAsidRoot;
inline constexpr std::string_view kInteractionIdRoot = hl7::kInteractionIdRoot;
inline constexpr std::string_view kSnomedRoot = "2.16.840.1.113883.2.1.3.2.4.15";
inline constexpr std::string_view kVersionCode = "V3NPfIT3.1.10";
inline constexpr std::string_view kGp2gpNamespace = "urn:nhs:names:services:gp2gp";

/// Reads an HL7 TS value: YYYYMMDD, optionally HH, MM, SS, then anything (fractions, zone) ignored.
std::optional<std::chrono::sys_seconds> parseHl7Time(std::string_view value);

/// A stable upper-case UUID (name-based, MD5) derived from `name`, for the ids inside a document
/// that must be unique but need no randomness of their own: rebuilding the same extract gives the
/// same document.
std::string derivedUuid(std::string_view name);

/// spineNamespaces() plus gp = urn:nhs:names:services:gp2gp.
const xml::Namespaces& gp2gpNamespaces();

/// Parses with a size cap no smaller than the document itself: callers bound what they hold
/// before calling (maxDecompressed, the HTTP body limit).
Result<xml::Document> parseDocument(std::string_view text);

/// Fails unless the root element is `expected` in the HL7 v3 namespace.
Status expectRoot(const xml::Document& doc, std::string_view expected);

} // namespace gp::messaging::gp2gp::detail
