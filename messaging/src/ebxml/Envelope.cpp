#include <gp/messaging/ebxml/Envelope.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <cstdio>
#include <initializer_list>
#include <optional>
#include <vector>

namespace gp::messaging::ebxml {

namespace {

using xml::escapeInto;

constexpr std::string_view kToPartyMshActor = "urn:oasis:names:tc:ebxml-msg:actor:toPartyMSH";
constexpr std::string_view kNextMshActor = "urn:oasis:names:tc:ebxml-msg:actor:nextMSH";
constexpr std::string_view kSoapNextActor = "http://schemas.xmlsoap.org/soap/actor/next";
constexpr std::string_view kTmsCodeContext = "urn:nhs:names:error:tms";

constexpr std::string_view kEnvelopeOpen =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<SOAP:Envelope xmlns:SOAP=\"http://schemas.xmlsoap.org/soap/envelope/\""
    " xmlns:eb=\"http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd\""
    " xmlns:hl7ebxml=\"urn:hl7-org:transport/ebXML/DSTUv1.0\""
    " xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n";

// The header fields shared by every ebXML message we write.
struct HeaderFields {
    std::string_view fromPartyId;
    std::string_view toPartyId;
    std::string_view cpaId;
    std::string_view conversationId;
    std::string_view service;
    std::string_view action;
    std::string_view messageId;
    std::chrono::sys_seconds timestamp;
    std::string_view refToMessageId;
    bool duplicateElimination = false;
};

void element(std::string& out, std::string_view indent, std::string_view name,
             std::string_view value) {
    out += indent;
    out += '<';
    out += name;
    out += '>';
    escapeInto(out, value);
    out += "</";
    out += name;
    out += ">\n";
}

void party(std::string& out, std::string_view name, std::string_view partyId) {
    out += "      <eb:";
    out += name;
    out += ">\n        <eb:PartyId eb:type=\"";
    out += kPartyIdType;
    out += "\">";
    escapeInto(out, partyId);
    out += "</eb:PartyId>\n      </eb:";
    out += name;
    out += ">\n";
}

void writeMessageHeader(std::string& out, const HeaderFields& h) {
    out += "    <eb:MessageHeader SOAP:mustUnderstand=\"1\" eb:version=\"2.0\">\n";
    party(out, "From", h.fromPartyId);
    party(out, "To", h.toPartyId);
    element(out, "      ", "eb:CPAId", h.cpaId);
    element(out, "      ", "eb:ConversationId", h.conversationId);
    element(out, "      ", "eb:Service", h.service);
    element(out, "      ", "eb:Action", h.action);
    out += "      <eb:MessageData>\n";
    element(out, "        ", "eb:MessageId", h.messageId);
    element(out, "        ", "eb:Timestamp", formatTimestamp(h.timestamp));
    if (!h.refToMessageId.empty()) {
        element(out, "        ", "eb:RefToMessageId", h.refToMessageId);
    }
    out += "      </eb:MessageData>\n";
    if (h.duplicateElimination) {
        out += "      <eb:DuplicateElimination/>\n";
    }
    out += "    </eb:MessageHeader>\n";
}

HeaderFields replyFields(const AcknowledgmentSpec& spec, std::string_view action) {
    return HeaderFields{spec.fromPartyId,    spec.toPartyId, spec.cpaId,     spec.conversationId,
                        kEbxmlService,       action,         spec.messageId, spec.timestamp,
                        spec.refToMessageId, false};
}

std::string_view trim(std::string_view text) {
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!text.empty() && isSpace(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isSpace(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

// ISO 8601 date-time as ebXML writes it: seconds precision, optional fraction (dropped), and
// Z, an offset, or nothing (taken as UTC).
std::optional<std::chrono::sys_seconds> parseTimestamp(std::string_view text) {
    using namespace std::chrono;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!digits(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, mo) ||
        text[7] != '-' || !digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') ||
        !digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' ||
        !digits(text, 17, 2, s)) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t fractionStart = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            ++pos;
        }
        if (pos == fractionStart) {
            return std::nullopt;
        }
    }
    seconds offset{0};
    if (pos < text.size()) {
        if ((text[pos] == 'Z' || text[pos] == 'z') && pos + 1 == text.size()) {
            // UTC
        } else if ((text[pos] == '+' || text[pos] == '-') && text.size() == pos + 6 &&
                   text[pos + 3] == ':') {
            int oh = 0, om = 0;
            if (!digits(text, pos + 1, 2, oh) || !digits(text, pos + 4, 2, om)) {
                return std::nullopt;
            }
            offset = hours(oh) + minutes(om);
            if (text[pos] == '-') {
                offset = -offset;
            }
        } else {
            return std::nullopt;
        }
    }
    const year_month_day date{year(y), month(static_cast<unsigned>(mo)),
                              day(static_cast<unsigned>(d))};
    if (!date.ok() || h > 23 || mi > 59 || s > 60) {
        return std::nullopt;
    }
    return sys_days(date) + hours(h) + minutes(mi) + seconds(s) - offset;
}

} // namespace

std::string formatTimestamp(std::chrono::sys_seconds time) {
    using namespace std::chrono;
    const auto dayPoint = floor<days>(time);
    const year_month_day date(dayPoint);
    const hh_mm_ss clock(time - dayPoint);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ",
                  static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
                  static_cast<unsigned>(date.day()), static_cast<int>(clock.hours().count()),
                  static_cast<int>(clock.minutes().count()),
                  static_cast<int>(clock.seconds().count()));
    return buffer;
}

std::string buildEnvelope(const MessageHeader& header) {
    std::string out(kEnvelopeOpen);
    out += "  <SOAP:Header>\n";
    writeMessageHeader(out, HeaderFields{header.fromPartyId, header.toPartyId, header.cpaId,
                                         header.conversationId, header.service, header.action,
                                         header.messageId, header.timestamp, header.refToMessageId,
                                         header.duplicateElimination});
    if (header.ackRequested != AckRequested::None) {
        out += "    <eb:AckRequested SOAP:mustUnderstand=\"1\" eb:version=\"2.0\" "
               "eb:signed=\"false\" SOAP:actor=\"";
        out += header.ackRequested == AckRequested::ToPartyMsh ? kToPartyMshActor : kNextMshActor;
        out += "\"/>\n";
    }
    if (header.syncReply) {
        out += "    <eb:SyncReply SOAP:mustUnderstand=\"1\" eb:version=\"2.0\" SOAP:actor=\"";
        out += kSoapNextActor;
        out += "\"/>\n";
    }
    out += "  </SOAP:Header>\n";
    if (header.manifest.empty()) {
        out += "  <SOAP:Body/>\n";
    } else {
        out += "  <SOAP:Body>\n    <eb:Manifest SOAP:mustUnderstand=\"1\" eb:version=\"2.0\">\n";
        for (const auto& reference : header.manifest) {
            out += "      <eb:Reference xlink:href=\"";
            escapeInto(out, reference.href);
            out += "\">\n";
            if (!reference.description.empty() || reference.hl7Payload) {
                out += "        <eb:Description xml:lang=\"en\">";
                escapeInto(out, reference.description);
                out += "</eb:Description>\n";
            }
            if (reference.hl7Payload) {
                out += "        <hl7ebxml:Payload style=\"HL7\" encoding=\"XML\" "
                       "version=\"3.0\"/>\n";
            }
            out += "      </eb:Reference>\n";
        }
        out += "    </eb:Manifest>\n  </SOAP:Body>\n";
    }
    out += "</SOAP:Envelope>\n";
    return out;
}

Result<MessageHeader> parseEnvelope(std::string_view text) {
    auto parsed = xml::parse(text);
    if (!parsed) {
        return parsed.error();
    }
    return readEnvelope(*parsed);
}

namespace {

// A child step of a path: namespace URI and local name.
struct Step {
    std::string_view namespaceUri;
    std::string_view localName;
};

// What the absolute XPath /SOAP:Envelope/<steps> selects under `from`, in document order: a
// depth-first walk over children in order visits matches in document order. The envelope is
// read this way rather than with XPath because an XPath query costs more than this walk.
void collect(const xml::Element& from, const Step* steps, std::size_t count,
             std::vector<xml::Element>& out) {
    if (count == 0) {
        out.push_back(from);
        return;
    }
    for (const auto& child : from.children(steps->namespaceUri, steps->localName)) {
        collect(child, steps + 1, count - 1, out);
    }
}

std::vector<xml::Element> select(const xml::Element& from, std::initializer_list<Step> steps) {
    std::vector<xml::Element> out;
    collect(from, steps.begin(), steps.size(), out);
    return out;
}

} // namespace

Result<MessageHeader> readEnvelope(const xml::Document& doc) {
    const auto& namespaces = xml::spineNamespaces();
    const std::string_view soap = namespaces.at("SOAP");
    const std::string_view eb = namespaces.at("eb");
    if (doc.rootName() != "Envelope" || doc.rootNamespace() != soap) {
        return Error{"SOAP:Envelope", "the root element is not a SOAP envelope"};
    }
    const xml::Element envelope = doc.root();
    const auto messageHeaders = select(envelope, {{soap, "Header"}, {eb, "MessageHeader"}});
    if (messageHeaders.empty()) {
        return Error{"eb:MessageHeader", "missing from the SOAP header"};
    }
    // /SOAP:Envelope/SOAP:Header/eb:MessageHeader/<steps>: the first match in document order,
    // whichever eb:MessageHeader it is under.
    const auto headerText = [&](std::initializer_list<Step> steps) -> std::optional<std::string> {
        for (const auto& messageHeader : messageHeaders) {
            if (auto found = select(messageHeader, steps); !found.empty()) {
                return found.front().text();
            }
        }
        return std::nullopt;
    };

    MessageHeader header;
    struct Field {
        const char* path;
        std::string_view parent; // empty: a child of eb:MessageHeader itself
        std::string_view name;
        std::string* target;
    };
    const Field required[] = {
        {"eb:From/eb:PartyId", "From", "PartyId", &header.fromPartyId},
        {"eb:To/eb:PartyId", "To", "PartyId", &header.toPartyId},
        {"eb:CPAId", "", "CPAId", &header.cpaId},
        {"eb:ConversationId", "", "ConversationId", &header.conversationId},
        {"eb:Service", "", "Service", &header.service},
        {"eb:Action", "", "Action", &header.action},
        {"eb:MessageData/eb:MessageId", "MessageData", "MessageId", &header.messageId},
    };
    for (const auto& field : required) {
        auto value = field.parent.empty() ? headerText({{eb, field.name}})
                                          : headerText({{eb, field.parent}, {eb, field.name}});
        if (!value || trim(*value).empty()) {
            return Error{field.path, "missing or empty"};
        }
        *field.target = std::string(trim(*value));
    }
    const auto timestamp = headerText({{eb, "MessageData"}, {eb, "Timestamp"}});
    if (!timestamp || trim(*timestamp).empty()) {
        return Error{"eb:MessageData/eb:Timestamp", "missing or empty"};
    }
    const auto when = parseTimestamp(trim(*timestamp));
    if (!when) {
        return Error{"eb:MessageData/eb:Timestamp",
                     "not an ISO 8601 timestamp: '" + std::string(trim(*timestamp)) + "'"};
    }
    header.timestamp = *when;
    if (auto ref = headerText({{eb, "MessageData"}, {eb, "RefToMessageId"}})) {
        header.refToMessageId = std::string(trim(*ref));
    }
    header.duplicateElimination = headerText({{eb, "DuplicateElimination"}}).has_value();

    const auto ackRequested = select(envelope, {{soap, "Header"}, {eb, "AckRequested"}});
    if (!ackRequested.empty()) {
        // The first actor attribute in document order, whichever eb:AckRequested carries it.
        std::string actor;
        for (const auto& element : ackRequested) {
            if (auto value = element.attribute("actor", soap)) {
                actor = std::string(trim(*value));
                break;
            }
        }
        if (actor.empty() || actor == kToPartyMshActor) {
            // ebMS 2.0: without an actor the acknowledgment is due from the To party's MSH.
            header.ackRequested = AckRequested::ToPartyMsh;
        } else if (actor == kNextMshActor) {
            header.ackRequested = AckRequested::NextMsh;
        } else {
            return Error{"eb:AckRequested/@SOAP:actor", "unknown actor '" + actor + "'"};
        }
    }
    header.syncReply = !select(envelope, {{soap, "Header"}, {eb, "SyncReply"}}).empty();

    const auto references = select(envelope, {{soap, "Body"}, {eb, "Manifest"}, {eb, "Reference"}});
    for (std::size_t i = 0; i < references.size(); ++i) {
        const xml::Element& element = references[i];
        ManifestReference reference;
        reference.href =
            std::string(trim(element.attribute("href", namespaces.at("xlink")).value_or("")));
        if (reference.href.empty()) {
            return Error{"eb:Manifest/eb:Reference[" + std::to_string(i + 1) + "]/@xlink:href",
                         "missing or empty"};
        }
        const auto descriptions = element.children(eb, "Description");
        reference.description =
            descriptions.empty() ? std::string() : std::string(trim(descriptions.front().text()));
        reference.hl7Payload = !element.children(namespaces.at("hl7ebxml"), "Payload").empty();
        header.manifest.push_back(std::move(reference));
    }
    return header;
}

std::string buildAcknowledgment(const AcknowledgmentSpec& spec) {
    std::string out(kEnvelopeOpen);
    out += "  <SOAP:Header>\n";
    writeMessageHeader(out, replyFields(spec, "Acknowledgment"));
    out += "    <eb:Acknowledgment SOAP:mustUnderstand=\"1\" eb:version=\"2.0\" SOAP:actor=\"";
    out += kToPartyMshActor;
    out += "\">\n";
    element(out, "      ", "eb:Timestamp", formatTimestamp(spec.timestamp));
    element(out, "      ", "eb:RefToMessageId", spec.refToMessageId);
    if (!spec.fromPartyId.empty()) {
        party(out, "From", spec.fromPartyId);
    }
    out += "    </eb:Acknowledgment>\n";
    out += "  </SOAP:Header>\n  <SOAP:Body/>\n</SOAP:Envelope>\n";
    return out;
}

std::string buildMessageError(const MessageErrorSpec& spec) {
    std::string out(kEnvelopeOpen);
    out += "  <SOAP:Header>\n";
    writeMessageHeader(out, replyFields(spec.header, "MessageError"));
    bool anyError = spec.errors.empty();
    for (const auto& error : spec.errors) {
        anyError = anyError || error.severity == "Error";
    }
    out += "    <eb:ErrorList SOAP:mustUnderstand=\"1\" eb:version=\"2.0\" eb:highestSeverity=\"";
    out += anyError ? "Error" : "Warning";
    out += "\">\n";
    for (const auto& error : spec.errors) {
        out += "      <eb:Error eb:codeContext=\"";
        escapeInto(out, error.codeContext);
        out += "\" eb:errorCode=\"";
        escapeInto(out, error.errorCode);
        out += "\" eb:severity=\"";
        escapeInto(out, error.severity);
        out += "\">\n";
        out += "        <eb:Description xml:lang=\"en\">";
        escapeInto(out, error.description);
        out += "</eb:Description>\n      </eb:Error>\n";
    }
    out += "    </eb:ErrorList>\n";
    out += "  </SOAP:Header>\n  <SOAP:Body/>\n</SOAP:Envelope>\n";
    return out;
}

std::string buildSoapFault(const SoapFaultSpec& spec) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<SOAP:Envelope xmlns:SOAP=\"http://schemas.xmlsoap.org/soap/envelope/\""
                      " xmlns:nasp=\"http://national.carerecords.nhs.uk/schema/\">\n"
                      "  <SOAP:Body>\n    <SOAP:Fault>\n"
                      "      <faultcode>SOAP:Server</faultcode>\n";
    element(out, "      ", "faultstring", spec.faultString);
    out += "      <detail>\n        <nasp:errorList>\n";
    for (const auto& error : spec.errors) {
        // ErrorListItem defaults to the ebXML context; a fault's errors belong to TMS.
        const std::string_view context =
            error.codeContext.empty() || error.codeContext == kErrorCodeContext
                ? kTmsCodeContext
                : std::string_view(error.codeContext);
        out += "          <nasp:error>\n";
        element(out, "            ", "nasp:codeContext", context);
        element(out, "            ", "nasp:errorCode", error.errorCode);
        element(out, "            ", "nasp:severity", error.severity);
        element(out, "            ", "nasp:description", error.description);
        out += "          </nasp:error>\n";
    }
    out += "        </nasp:errorList>\n      </detail>\n    </SOAP:Fault>\n  </SOAP:Body>\n"
           "</SOAP:Envelope>\n";
    return out;
}

} // namespace gp::messaging::ebxml
