#pragma once

// Pieces the GP2GP builders and readers share: identifier roots, the transmission wrapper, HL7
// time values and ids derived from other ids.

#include "../hl7/Hl7Writer.hpp"

#include <gp/messaging/xml/SafeXml.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace gp::messaging::gp2gp::detail {

inline constexpr std::string_view kNhsNumberRoot = "2.16.840.1.113883.2.1.4.1";
inline constexpr std::string_view kOdsRoot = "1.2.826.0.1285.0.1.10";
inline constexpr std::string_view kAsidRoot = "1.2.826.0.1285.0.2.0.107";
inline constexpr std::string_view kInteractionIdRoot = "2.16.840.1.113883.2.1.3.2.4.12";
inline constexpr std::string_view kSnomedRoot = "2.16.840.1.113883.2.1.3.2.4.15";
inline constexpr std::string_view kVersionCode = "V3NPfIT3.1.10";
inline constexpr std::string_view kGp2gpNamespace = "urn:nhs:names:services:gp2gp";
inline constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

/// The message-level elements every GP2GP HL7 document opens with, up to and including the
/// ControlActEvent's author1; the caller then writes its subject and closes ControlActEvent and
/// the root. `versionCode` differs between interactions (COPC uses V3NPfIT3.0).
struct Wrapper {
    std::string_view interaction;
    std::string_view messageId;
    std::chrono::sys_seconds creationTime{};
    std::string_view toAsid;
    std::string_view fromAsid;
    std::string_view versionCode = kVersionCode;
    bool xsiNamespace = false;
};
void openWrapper(hl7::Hl7Writer& w, const Wrapper& wrapper);

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
