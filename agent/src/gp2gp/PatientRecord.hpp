#pragma once

#include <gp/Result.hpp>
#include <gp/messaging/gp2gp/EhrExtract.hpp>
#include <gp/messaging/ids/RandomSource.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gp::agent::gp2gp {

/// A document of the record source: a file in the patient's folder.
struct SourceAttachment {
    std::filesystem::path file; // absolute or relative to the working directory, as found
    std::string filename;       // as named in record.json, and on the wire
    std::string contentType;
    std::string title;
    std::uint64_t bytes = 0;
};

/// What the sending practice holds for one patient: <recordSource>/<nhsNumber>/record.json and
/// the files it names. Demographics are checked but travel only as the NHS number.
struct PatientRecord {
    std::string nhsNumber;
    std::vector<messaging::gp2gp::Composition> compositions;
    std::vector<SourceAttachment> attachments;
};

/// Content types Spine accepts for attachments (PROTOCOL.md §1); audio/* by prefix.
bool isAllowedAttachmentType(const std::string& contentType);

/// Reads and checks `folder`/record.json (schema in docs/gp2gp.md). Missing ids are generated
/// from `random`. Errors name the field, e.g. where="compositions[0].entries[2].kind", or
/// "record.json" when the file cannot be read or is not JSON. The NHS number in the file must be
/// `nhsNumber` (the folder's name).
Result<PatientRecord> readPatientRecord(const std::filesystem::path& folder,
                                        const std::string& nhsNumber,
                                        messaging::ids::RandomSource& random);

/// Reads record.json from text (for tests); attachment files are looked up in `folder`.
Result<PatientRecord> parsePatientRecord(const std::string& json,
                                         const std::filesystem::path& folder,
                                         const std::string& nhsNumber,
                                         messaging::ids::RandomSource& random);

} // namespace gp::agent::gp2gp
