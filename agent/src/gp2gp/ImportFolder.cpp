#include "ImportFolder.hpp"

#include "TransferFiles.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace gp::agent::gp2gp {

namespace {

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

} // namespace

std::string safeFilename(const std::string& wanted) {
    std::string name = wanted;
    const auto slash = name.find_last_of("/\\");
    if (slash != std::string::npos) {
        name = name.substr(slash + 1);
    }
    for (char& c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f ||
            std::string_view("<>:\"|?*").find(c) != std::string_view::npos) {
            c = '_';
        }
    }
    // A leading dot would hide the file; trailing dots and spaces confuse Windows.
    while (!name.empty() && (name.front() == '.' || name.front() == ' ')) {
        name.erase(name.begin());
    }
    while (!name.empty() && (name.back() == '.' || name.back() == ' ')) {
        name.pop_back();
    }
    return name.empty() ? "attachment" : name;
}

std::vector<std::string> uniqueFilenames(const std::vector<std::string>& wanted) {
    std::set<std::string> taken = {lower(kExtractFilename), lower(kManifestFilename)};
    std::vector<std::string> names;
    names.reserve(wanted.size());
    for (const auto& raw : wanted) {
        const std::string base = safeFilename(raw);
        std::string candidate = base;
        if (taken.count(lower(candidate)) > 0) {
            const auto dot = base.find_last_of('.');
            const std::string stem =
                dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
            const std::string extension =
                dot == std::string::npos || dot == 0 ? std::string() : base.substr(dot);
            for (int counter = 2;; ++counter) {
                candidate = stem + "-" + std::to_string(counter) + extension;
                if (taken.count(lower(candidate)) == 0) {
                    break;
                }
            }
        }
        taken.insert(lower(candidate));
        names.push_back(candidate);
    }
    return names;
}

Status writeImportFolder(const std::filesystem::path& importDir, const std::string& conversationId,
                         const std::filesystem::path& extractFile,
                         const std::vector<ImportedDocument>& documents) {
    const auto target = importDir / conversationId;
    std::error_code error;
    if (std::filesystem::exists(target, error)) {
        return success();
    }
    const auto temporary = importDir / ("." + conversationId + ".incoming");
    std::filesystem::remove_all(temporary, error);
    std::filesystem::create_directories(temporary, error);
    if (error) {
        return failure("gp2gp.importDir",
                       "cannot create " + temporary.string() + ": " + error.message());
    }
    if (auto copied = copySynced(extractFile, temporary / kExtractFilename); !copied) {
        return copied.error();
    }
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& document : documents) {
        // The received file is already durable: a second name costs nothing where a copy of a
        // 100 MB document would write it all again.
        if (auto copied = linkOrCopySynced(document.source, temporary / document.filename);
            !copied) {
            return copied.error();
        }
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object;
        entry->set("file", document.filename);
        entry->set("originalFilename", document.originalFilename);
        entry->set("contentType", document.contentType);
        entry->set("partId", document.partId);
        entry->set("bytes", static_cast<Poco::Int64>(fileBytes(temporary / document.filename)));
        list->add(entry);
    }
    Poco::JSON::Object::Ptr manifest = new Poco::JSON::Object;
    manifest->set("conversationId", conversationId);
    manifest->set("extract", std::string(kExtractFilename));
    manifest->set("documents", list);
    std::ostringstream json;
    manifest->stringify(json, 2);
    if (auto written = writeSynced(temporary / kManifestFilename, json.str() + "\n"); !written) {
        return written.error();
    }
    syncDirectory(temporary);
    std::filesystem::rename(temporary, target, error);
    if (error) {
        return failure("gp2gp.importDir",
                       "cannot rename " + temporary.string() + " into place: " + error.message());
    }
    syncDirectory(importDir);
    return success();
}

} // namespace gp::agent::gp2gp
