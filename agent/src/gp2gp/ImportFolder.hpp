#pragma once

#include <gp/Result.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gp::agent::gp2gp {

/// The file the extract is written to in every import folder; no attachment may take its name.
inline constexpr const char* kExtractFilename = "ehr-extract.xml";
/// What the folder holds, for the clinical system: one entry per attachment.
inline constexpr const char* kManifestFilename = "manifest.json";

/// A file name from a sender made safe to create: only its last path component, control
/// characters and characters Windows shares refuse replaced by '_', never "", "." or "..".
std::string safeFilename(const std::string& wanted);

/// Names for `wanted` (in order) that never collide with each other or with the extract and
/// manifest, comparing without regard to case (the folder may be shared with Windows): the
/// second "letter.pdf" becomes "letter-2.pdf", the third "letter-3.pdf", and so on.
std::vector<std::string> uniqueFilenames(const std::vector<std::string>& wanted);

struct ImportedDocument {
    std::filesystem::path source; // where the received bytes are
    std::string filename;         // the name in the import folder (already unique)
    std::string originalFilename; // as the sender described it
    std::string contentType;
    std::string partId;
};

/// Writes <importDir>/<conversationId>/ with the extract, each document and manifest.json:
/// everything goes into a hidden temporary folder first, fsynced, then is renamed into place,
/// so the clinical system never sees half a record. When the folder already exists (a previous
/// run got this far before a crash) nothing is written again.
Status writeImportFolder(const std::filesystem::path& importDir, const std::string& conversationId,
                         const std::filesystem::path& extractFile,
                         const std::vector<ImportedDocument>& documents);

} // namespace gp::agent::gp2gp
