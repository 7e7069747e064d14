#include "Gp2gpXml.hpp"

#include <gp/messaging/gp2gp/EhrExtract.hpp>
#include <gp/messaging/gp2gp/Gp2gp.hpp>

#include <zlib.h>

#include <algorithm>
#include <limits>
#include <map>
#include <stdexcept>

namespace gp::messaging::gp2gp {

namespace {

using hl7::Hl7Writer;

// Read v2 code for the allergy category that receiving systems look for (the other is 14L..00,
// drug allergy, which our record source does not distinguish).
constexpr std::string_view kReadV2Root = "2.16.840.1.113883.2.1.6.2";
constexpr std::string_view kAllergyCategoryCode = "SN53.00";
constexpr std::string_view kAllergyCategoryName = "Allergy, unspecified";
constexpr std::string_view kEntireRecordCode = "37241000000102";
constexpr std::string_view kEdiMessagesCode = "24891000000101";

bool isDecimal(std::string_view text) {
    if (text.empty()) {
        return false;
    }
    std::size_t i = text[0] == '-' ? 1 : 0;
    bool digit = false;
    bool point = false;
    for (; i < text.size(); ++i) {
        if (text[i] >= '0' && text[i] <= '9') {
            digit = true;
        } else if (text[i] == '.' && !point) {
            point = true;
        } else {
            return false;
        }
    }
    return digit;
}

void writeTime(Hl7Writer& w, std::string_view element, std::string_view value) {
    if (value.empty()) {
        w.empty(element, {{"nullFlavor", "UNK"}});
    } else {
        w.empty(element, {{"value", value}});
    }
}

void writeEffectiveTime(Hl7Writer& w, std::string_view value) {
    w.open("effectiveTime");
    writeTime(w, "center", value);
    w.close();
}

void writeStatementTimes(Hl7Writer& w, std::string_view effective, std::string_view fallback) {
    w.empty("statusCode", {{"code", "COMPLETE"}});
    writeEffectiveTime(w, effective);
    writeTime(w, "availabilityTime", effective.empty() ? fallback : effective);
}

void writeCode(Hl7Writer& w, std::string_view code, std::string_view system,
               std::string_view displayName) {
    if (code.empty()) {
        w.open("code", {{"nullFlavor", "UNK"}});
        w.text("originalText", displayName);
        w.close();
    } else {
        w.empty("code", {{"code", code}, {"codeSystem", system}, {"displayName", displayName}});
    }
}

void writeOrganisation(Hl7Writer& w, std::string_view element, std::string_view typeCode,
                       std::string_view ods, std::string_view time) {
    w.open(element, {{"typeCode", typeCode}});
    if (!time.empty()) {
        w.empty("time", {{"value", time}});
    }
    w.open("AgentOrgSDS", {{"classCode", "AGNT"}});
    w.open("agentOrganizationSDS", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", detail::kOdsRoot}, {"extension", ods}});
    w.close();
    w.close();
    w.close();
}

void writeAnnotation(Hl7Writer& w, std::string_view text) {
    w.open("pertinentInformation", {{"typeCode", "PERT"}});
    w.empty("sequenceNumber", {{"value", "+1"}});
    w.open("pertinentAnnotation", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.text("text", text);
    w.close();
    w.close();
}

void writeObservation(Hl7Writer& w, const ClinicalEntry& e, std::string_view fallbackTime) {
    w.open("ObservationStatement", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", e.id}});
    writeCode(w, e.code, detail::kSnomedRoot, e.displayName);
    writeStatementTimes(w, e.effectiveTime, fallbackTime);
    if (!e.value.empty()) {
        // A measured quantity when it is one; otherwise the value is kept as text.
        if (!e.unit.empty() && isDecimal(e.value)) {
            w.empty("value", {{"xsi:type", "PQ"}, {"value", e.value}, {"unit", e.unit}});
        } else {
            const std::string text = e.unit.empty() ? e.value : e.value + " " + e.unit;
            w.text("value", text, {{"xsi:type", "ST"}});
        }
    }
    if (!e.text.empty()) {
        writeAnnotation(w, e.text);
    }
    w.close();
}

void writeMedication(Hl7Writer& w, const ClinicalEntry& e, std::string_view fallbackTime) {
    w.open("MedicationStatement", {{"classCode", "SBADM"}, {"moodCode", "INT"}});
    w.empty("id", {{"root", e.id}});
    writeStatementTimes(w, e.effectiveTime, fallbackTime);
    w.open("consumable", {{"typeCode", "CSM"}});
    w.open("manufacturedProduct", {{"classCode", "MANU"}});
    w.open("manufacturedMaterial", {{"classCode", "MMAT"}, {"determinerCode", "KIND"}});
    writeCode(w, e.code, detail::kSnomedRoot, e.displayName);
    w.close(); // manufacturedMaterial
    w.close(); // manufacturedProduct
    w.close(); // consumable
    if (!e.text.empty()) {
        w.open("pertinentInformation", {{"typeCode", "PERT"}});
        w.open("pertinentMedicationDosage", {{"classCode", "SBADM"}, {"moodCode", "RMD"}});
        w.text("text", e.text);
        w.close();
        w.close();
    }
    w.close();
}

void writeAllergy(Hl7Writer& w, const ClinicalEntry& e, std::string_view fallbackTime) {
    w.open("CompoundStatement", {{"classCode", "CATEGORY"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", detail::derivedUuid("allergy-category/" + e.id)}});
    w.empty("code", {{"code", kAllergyCategoryCode},
                     {"codeSystem", kReadV2Root},
                     {"displayName", kAllergyCategoryName}});
    writeStatementTimes(w, e.effectiveTime, fallbackTime);
    w.open("component", {{"typeCode", "COMP"}, {"contextConductionInd", "true"}});
    w.open("ObservationStatement", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", e.id}});
    writeCode(w, e.code, detail::kSnomedRoot, e.displayName);
    writeStatementTimes(w, e.effectiveTime, fallbackTime);
    if (!e.text.empty()) {
        writeAnnotation(w, e.text);
    }
    w.close(); // ObservationStatement
    w.close(); // component
    w.close(); // CompoundStatement
}

void writeNarrative(Hl7Writer& w, const ClinicalEntry& e, std::string_view fallbackTime) {
    w.open("NarrativeStatement", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", e.id}});
    w.text("text", e.text.empty() ? e.displayName : e.text);
    w.empty("statusCode", {{"code", "COMPLETE"}});
    writeTime(w, "availabilityTime", e.effectiveTime.empty() ? fallbackTime : e.effectiveTime);
    w.close();
}

void writeEntry(Hl7Writer& w, const ClinicalEntry& e, std::string_view fallbackTime) {
    w.open("component", {{"typeCode", "COMP"}});
    switch (e.kind) {
    case ClinicalEntry::Kind::Observation:
        writeObservation(w, e, fallbackTime);
        break;
    case ClinicalEntry::Kind::Medication:
        writeMedication(w, e, fallbackTime);
        break;
    case ClinicalEntry::Kind::Allergy:
        writeAllergy(w, e, fallbackTime);
        break;
    case ClinicalEntry::Kind::Narrative:
        writeNarrative(w, e, fallbackTime);
        break;
    }
    w.close();
}

struct DocumentStatement {
    std::string_view statementId;
    std::string_view text;
    std::string_view mediaType;
    std::string_view href;
    std::string_view code;
    std::string_view codeName;
};

void writeDocument(Hl7Writer& w, const DocumentStatement& d, std::string_view time) {
    w.open("component", {{"typeCode", "COMP"}});
    w.open("NarrativeStatement", {{"classCode", "OBS"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", d.statementId}});
    w.text("text", d.text);
    w.empty("statusCode", {{"code", "COMPLETE"}});
    writeTime(w, "availabilityTime", time);
    w.open("reference", {{"typeCode", "REFR"}});
    w.open("referredToExternalDocument", {{"classCode", "DOC"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", d.statementId}});
    writeCode(w, d.code, detail::kSnomedRoot, d.codeName);
    w.open("text", {{"mediaType", d.mediaType}});
    w.empty("reference", {{"value", d.href}});
    w.close(); // text
    w.close(); // referredToExternalDocument
    w.close(); // reference
    w.close(); // NarrativeStatement
    w.close(); // component
}

// The agents a composition's author can refer to: the practice, then each named author.
struct AgentDirectory {
    std::string practiceAgentId;
    std::map<std::string, std::string> personAgentIds; // author name -> Agent id

    std::string_view idFor(const std::string& authorName) const {
        const auto it = personAgentIds.find(authorName);
        return it == personAgentIds.end() ? std::string_view(practiceAgentId)
                                          : std::string_view(it->second);
    }
};

AgentDirectory agentsOf(const EhrExtractSpec& spec) {
    AgentDirectory agents;
    agents.practiceAgentId = detail::derivedUuid(spec.extractId + "/agent/practice");
    for (const Composition& c : spec.compositions) {
        if (!c.authorName.empty()) {
            agents.personAgentIds.emplace(
                c.authorName,
                detail::derivedUuid(spec.extractId + "/agent/person/" + c.authorName));
        }
    }
    return agents;
}

void writeAgentDirectory(Hl7Writer& w, const EhrExtractSpec& spec, const AgentDirectory& agents) {
    w.open("responsibleParty", {{"typeCode", "RESP"}});
    w.open("agentDirectory", {{"classCode", "AGNT"}});
    w.open("part", {{"typeCode", "PART"}});
    w.open("Agent", {{"classCode", "AGNT"}});
    w.empty("id", {{"root", agents.practiceAgentId}});
    w.empty("code", {{"code", "394745000"},
                     {"codeSystem", detail::kSnomedRoot},
                     {"displayName", "General practice (organisation)"}});
    w.open("agentOrganization", {{"classCode", "ORG"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", detail::kOdsRoot}, {"extension", spec.senderOds}});
    w.close(); // agentOrganization
    w.close(); // Agent
    w.close(); // part
    for (const auto& [name, id] : agents.personAgentIds) {
        w.open("part", {{"typeCode", "PART"}});
        w.open("Agent", {{"classCode", "AGNT"}});
        w.empty("id", {{"root", id}});
        w.open("agentPerson", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
        w.text("name", name);
        w.close(); // agentPerson
        w.close(); // Agent
        w.close(); // part
    }
    w.close(); // agentDirectory
    w.close(); // responsibleParty
}

void openComposition(Hl7Writer& w, std::string_view id, std::string_view title,
                     std::string_view effectiveTime, std::string_view fallbackTime,
                     std::string_view agentId) {
    w.open("component", {{"typeCode", "COMP"}});
    w.open("ehrComposition", {{"classCode", "COMPOSITION"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", id}});
    writeCode(w, "", "", title);
    writeStatementTimes(w, effectiveTime, fallbackTime);
    w.open("author", {{"typeCode", "AUT"}, {"contextControlCode", "OP"}});
    writeTime(w, "time", effectiveTime.empty() ? fallbackTime : effectiveTime);
    w.open("agentRef", {{"classCode", "AGNT"}});
    w.empty("id", {{"root", agentId}});
    w.close(); // agentRef
    w.close(); // author
}

void closeComposition(Hl7Writer& w) {
    w.close(); // ehrComposition
    w.close(); // component
}

// Everything up to the ehrFolder's responsibleParty; the caller writes the compositions.
void openExtract(Hl7Writer& w, const EhrExtractSpec& spec, const AgentDirectory& agents,
                 std::string_view folderStart) {
    const std::string now = hl7::hl7Timestamp(spec.creationTime);
    hl7::openTransmissionWrapper(w, {.interaction = kEhrExtract,
                                     .messageId = spec.messageId,
                                     .creationTime = spec.creationTime,
                                     .toAsid = spec.requesterAsid,
                                     .fromAsid = spec.senderAsid,
                                     .versionCode = detail::kVersionCode,
                                     .xsiNamespace = true});
    w.open("subject", {{"typeCode", "SUBJ"}, {"contextConductionInd", "false"}});
    w.open("EhrExtract", {{"classCode", "EXTRACT"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", spec.extractId}});
    w.empty("statusCode", {{"code", "COMPLETE"}});
    w.empty("availabilityTime", {{"value", now}});
    w.open("recordTarget", {{"typeCode", "RCT"}});
    w.open("patient", {{"classCode", "PAT"}});
    w.empty("id", {{"root", detail::kNhsNumberRoot}, {"extension", spec.nhsNumber}});
    w.close(); // patient
    w.close(); // recordTarget
    writeOrganisation(w, "author", "AUT", spec.senderOds, now);
    writeOrganisation(w, "destination", "DST", spec.requesterOds, "");
    w.open("component", {{"typeCode", "COMP"}});
    w.open("ehrFolder", {{"classCode", "FOLDER"}, {"moodCode", "EVN"}});
    w.empty("id", {{"root", detail::derivedUuid(spec.extractId + "/folder")}});
    w.empty("statusCode", {{"code", "COMPLETE"}});
    w.open("effectiveTime");
    writeTime(w, "low", folderStart);
    w.empty("high", {{"value", now}});
    w.close();
    w.empty("availabilityTime", {{"value", now}});
    writeOrganisation(w, "author", "AUT", spec.senderOds, now);
    writeAgentDirectory(w, spec, agents);
}

void closeExtract(Hl7Writer& w, const EhrExtractSpec& spec) {
    w.close(); // ehrFolder
    w.close(); // component
    w.open("inFulfillmentOf", {{"typeCode", "FLFS"}});
    w.open("priorEhrRequest", {{"classCode", "EXTRACT"}, {"moodCode", "RQO"}});
    w.empty("id", {{"root", spec.requestId}});
    w.close();
    w.close();
    w.open("limitation", {{"typeCode", "LIMIT"}, {"inversionInd", "true"}});
    w.open("limitingEhrExtractSpecification", {{"classCode", "OBS"}, {"moodCode", "DEF"}});
    w.empty("id", {{"root", detail::derivedUuid(spec.extractId + "/limitation")}});
    w.empty("code", {{"code", kEntireRecordCode},
                     {"codeSystem", detail::kSnomedRoot},
                     {"displayName", "Entire record available to originator"}});
    w.close();
    w.close();
    w.close(); // EhrExtract
    w.close(); // subject
    w.close(); // ControlActEvent
    w.close(); // root
}

std::string earliestTime(const EhrExtractSpec& spec) {
    std::string earliest;
    auto consider = [&](const std::string& time) {
        // HL7 times compare as text only over the same precision: compare their dates.
        if (!time.empty() && (earliest.empty() || time.substr(0, 8) < earliest.substr(0, 8))) {
            earliest = time;
        }
    };
    for (const Composition& c : spec.compositions) {
        consider(c.effectiveTime);
        for (const ClinicalEntry& e : c.entries) {
            consider(e.effectiveTime);
        }
    }
    return earliest;
}

// zlib's streams hold their own allocations; these end them however the function returns.
struct Deflater {
    z_stream stream{};
    bool live = false;
    ~Deflater() {
        if (live) {
            deflateEnd(&stream);
        }
    }
};
struct Inflater {
    z_stream stream{};
    bool live = false;
    ~Inflater() {
        if (live) {
            inflateEnd(&stream);
        }
    }
};

// windowBits 15 with 16 added selects the gzip wrapper (RFC 1952) rather than zlib's own.
constexpr int kGzipWindowBits = 15 + 16;
constexpr std::size_t kChunk = 64 * 1024;
// avail_in is 32 bits wide; larger inputs are fed in pieces.
constexpr std::size_t kMaxFeed = std::size_t{1} << 30;

void feed(z_stream& stream, std::string_view bytes, std::size_t& offset) {
    if (stream.avail_in == 0 && offset < bytes.size()) {
        const std::size_t n = std::min(kMaxFeed, bytes.size() - offset);
        // zlib's interface is not const-correct; it never writes through next_in.
        stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + offset));
        stream.avail_in = static_cast<uInt>(n);
        offset += n;
    }
}

} // namespace

std::string buildEhrExtract(const EhrExtractSpec& spec) {
    const AgentDirectory agents = agentsOf(spec);
    const std::string now = hl7::hl7Timestamp(spec.creationTime);
    Hl7Writer w;
    openExtract(w, spec, agents, earliestTime(spec));
    for (const Composition& c : spec.compositions) {
        openComposition(w, c.id, c.title, c.effectiveTime, now, agents.idFor(c.authorName));
        const std::string_view fallback =
            c.effectiveTime.empty() ? std::string_view(now) : std::string_view(c.effectiveTime);
        for (const ClinicalEntry& e : c.entries) {
            writeEntry(w, e, fallback);
        }
        closeComposition(w);
    }
    if (!spec.documents.empty()) {
        // Documents belong to no consultation of their own, so they share one composition.
        openComposition(w, detail::derivedUuid(spec.extractId + "/documents"), "Attachments", "",
                        now, agents.practiceAgentId);
        for (const DocumentReference& d : spec.documents) {
            writeDocument(w,
                          {.statementId = d.documentId,
                           .text = d.title.empty() ? std::string_view(d.description.filename)
                                                   : std::string_view(d.title),
                           .mediaType = d.description.contentType,
                           .href = d.href,
                           .code = "",
                           .codeName = d.title.empty() ? std::string_view(d.description.filename)
                                                       : std::string_view(d.title)},
                          now);
        }
        closeComposition(w);
    }
    closeExtract(w, spec);
    return w.finish();
}

std::string buildSkeletonExtract(const EhrExtractSpec& spec, const std::string& skeletonHref) {
    EhrExtractSpec bare = spec;
    bare.compositions.clear();
    bare.documents.clear();
    const AgentDirectory agents = agentsOf(bare);
    const std::string now = hl7::hl7Timestamp(spec.creationTime);
    Hl7Writer w;
    openExtract(w, bare, agents, "");
    openComposition(w, detail::derivedUuid(spec.extractId + "/skeleton-composition"), "Skeleton",
                    "", now, agents.practiceAgentId);
    const std::string statementId = detail::derivedUuid(spec.extractId + "/skeleton");
    writeDocument(w,
                  {.statementId = statementId,
                   .text = "Skeleton statement",
                   .mediaType = "text/xml",
                   .href = skeletonHref,
                   .code = kEdiMessagesCode,
                   .codeName = "EDI messages"},
                  now);
    closeComposition(w);
    closeExtract(w, bare);
    return w.finish();
}

Result<EhrExtractSummary> parseEhrExtract(std::string_view xmlText) {
    auto parsed = detail::parseDocument(xmlText);
    if (!parsed) {
        return parsed.error();
    }
    const xml::Document& doc = *parsed;
    const std::string root = doc.rootName();
    if ((root != kEhrExtract && root != kEhrExtractWithRedactions) ||
        doc.rootNamespace() != "urn:hl7-org:v3") {
        return Error{"root element", "must be " + std::string(kEhrExtract) + " or " +
                                         std::string(kEhrExtractWithRedactions) +
                                         " in urn:hl7-org:v3, not " + root};
    }
    const std::string extract = "/*/hl7:ControlActEvent/hl7:subject/hl7:EhrExtract";
    const std::string orgId = "/hl7:AgentOrgSDS/hl7:agentOrganizationSDS/hl7:id/@extension";

    EhrExtractSummary s;
    struct Field {
        std::string xpath;
        const char* where;
        std::string* target;
        bool required;
    };
    // The request id and the destination are written as nullFlavor by some systems (a skeleton
    // or an extract sent without a request), so only what identifies the record is required.
    const Field fields[] = {
        {"/*/hl7:id/@root", "id/@root", &s.messageId, true},
        {extract + "/hl7:id/@root", "EhrExtract/id/@root", &s.extractId, true},
        {extract + "/hl7:recordTarget/hl7:patient/hl7:id[@root='" +
             std::string(detail::kNhsNumberRoot) + "']/@extension",
         "EhrExtract/recordTarget/patient/id/@extension", &s.nhsNumber, true},
        {extract + "/hl7:author" + orgId, "EhrExtract/author", &s.senderOds, false},
        {extract + "/hl7:destination" + orgId, "EhrExtract/destination", &s.requesterOds, false},
        {extract + "/hl7:inFulfillmentOf/hl7:priorEhrRequest/hl7:id/@root",
         "EhrExtract/inFulfillmentOf/priorEhrRequest/id/@root", &s.requestId, false},
    };
    for (const Field& field : fields) {
        std::optional<std::string> value = doc.text(field.xpath);
        if (field.required && (!value || value->empty())) {
            return Error{field.where, "is missing"};
        }
        *field.target = value.value_or("");
    }
    s.documentHrefs =
        doc.texts(extract + "//hl7:referredToExternalDocument/hl7:text/hl7:reference/@value");
    return s;
}

std::string gzipCompress(std::string_view bytes) {
    Deflater d;
    if (deflateInit2(&d.stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("zlib deflateInit2 failed");
    }
    d.live = true;
    std::string out;
    std::size_t offset = 0;
    char chunk[kChunk];
    int rc = Z_OK;
    do {
        feed(d.stream, bytes, offset);
        const int flush = offset == bytes.size() ? Z_FINISH : Z_NO_FLUSH;
        d.stream.next_out = reinterpret_cast<Bytef*>(chunk);
        d.stream.avail_out = static_cast<uInt>(kChunk);
        rc = deflate(&d.stream, flush);
        if (rc == Z_STREAM_ERROR) {
            throw std::runtime_error("zlib deflate failed");
        }
        out.append(chunk, kChunk - d.stream.avail_out);
    } while (rc != Z_STREAM_END);
    return out;
}

Result<std::string> gzipDecompress(std::string_view bytes, std::size_t maxOutput) {
    Inflater inf;
    if (inflateInit2(&inf.stream, kGzipWindowBits) != Z_OK) {
        throw std::runtime_error("zlib inflateInit2 failed");
    }
    inf.live = true;
    std::string out;
    std::size_t offset = 0;
    char chunk[kChunk];
    while (true) {
        feed(inf.stream, bytes, offset);
        inf.stream.next_out = reinterpret_cast<Bytef*>(chunk);
        inf.stream.avail_out = static_cast<uInt>(kChunk);
        const int rc = inflate(&inf.stream, Z_NO_FLUSH);
        const std::size_t produced = kChunk - inf.stream.avail_out;
        // Checked before appending, so a bomb never grows `out` past the bound.
        if (produced > maxOutput - out.size()) {
            return Error{"gzip",
                         "decompresses to more than " + std::to_string(maxOutput) + " bytes"};
        }
        out.append(chunk, produced);
        if (rc == Z_STREAM_END) {
            break;
        }
        if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR) {
            return Error{"gzip", std::string("is not valid gzip data: ") +
                                     (inf.stream.msg ? inf.stream.msg : "data error")};
        }
        if (rc == Z_MEM_ERROR) {
            throw std::bad_alloc();
        }
        if (rc == Z_BUF_ERROR && inf.stream.avail_in == 0 && offset == bytes.size()) {
            return Error{"gzip", "ends before the end of the compressed stream"};
        }
    }
    const std::size_t consumed = offset - inf.stream.avail_in;
    if (consumed != bytes.size()) {
        return Error{"gzip", std::to_string(bytes.size() - consumed) +
                                 " bytes follow the end of the compressed stream"};
    }
    return out;
}

} // namespace gp::messaging::gp2gp
