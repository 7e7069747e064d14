#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/gp2gp/AttachmentDescription.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace gp::messaging::gp2gp {

/// One entry of a record, as the record source describes it (record.json).
struct ClinicalEntry {
    enum class Kind { Observation, Medication, Allergy, Narrative };
    Kind kind = Kind::Observation;
    std::string id;   // upper-case UUID
    std::string code; // SNOMED CT concept id (dm+d for medications)
    std::string displayName;
    std::string text;          // free text (dosage for a medication)
    std::string effectiveTime; // YYYYMMDD or YYYYMMDDHHMMSS
    std::string value;         // observations: the value, e.g. "72"
    std::string unit;          // observations: the unit, e.g. "kg"
};

/// One ehrComposition: a consultation or another dated group of entries.
struct Composition {
    std::string id; // upper-case UUID
    std::string title;
    std::string effectiveTime;
    std::string authorName;
    std::vector<ClinicalEntry> entries;
};

/// A document the extract refers to (a NarrativeStatement with referredToExternalDocument):
/// inline as a MIME part of the extract message ("cid:…") or sent later ("mid:…").
struct DocumentReference {
    std::string documentId; // upper-case UUID
    std::string href;       // "cid:<content id>" or "mid:<message id>"
    std::string title;
    AttachmentDescription description;
};

struct EhrExtractSpec {
    std::string messageId; // the extract message's id (upper-case UUID)
    std::chrono::sys_seconds creationTime{};
    std::string extractId; // EhrExtract/id (upper-case UUID)
    std::string requestId; // inFulfillmentOf/priorEhrRequest/id: the EhrRequest's id
    std::string nhsNumber;
    std::string senderOds;    // author
    std::string requesterOds; // destination
    std::string senderAsid;
    std::string requesterAsid;
    std::vector<Composition> compositions;
    std::vector<DocumentReference> documents;
};

/// RCMR_IN030000UK06, statusCode COMPLETE.
std::string buildEhrExtract(const EhrExtractSpec& spec);

/// The small extract sent in place of one over the threshold: same ids, no compositions, one
/// document reference to the compressed original (`skeletonHref`, a "cid:" of the same message).
std::string buildSkeletonExtract(const EhrExtractSpec& spec, const std::string& skeletonHref);

/// What the requesting side needs from an extract (UK06 or UK07). The extract document itself is
/// written to the import folder as received.
struct EhrExtractSummary {
    std::string messageId;
    std::string extractId;
    std::string requestId;
    std::string nhsNumber;
    std::string senderOds;
    std::string requesterOds;
    std::vector<std::string> documentHrefs; // every referredToExternalDocument reference
};

Result<EhrExtractSummary> parseEhrExtract(std::string_view xml);

/// gzip (RFC 1952) for skeleton extracts. Decompression refuses output past `maxOutput`.
std::string gzipCompress(std::string_view bytes);
Result<std::string> gzipDecompress(std::string_view bytes, std::size_t maxOutput);

} // namespace gp::messaging::gp2gp
