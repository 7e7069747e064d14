#include "PatientRecord.hpp"

#include <gp/agent/Files.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace gp::agent::gp2gp {

namespace {

using messaging::gp2gp::ClinicalEntry;
using messaging::gp2gp::Composition;
using Poco::JSON::Array;
using Poco::JSON::Object;

/// Reads the fields of one JSON object under a path, so every error names the field in full.
class Fields {
public:
    Fields(Object::Ptr object, std::string path)
        : m_object(std::move(object)), m_path(std::move(path)) {}

    std::string pathOf(const std::string& name) const {
        return m_path.empty() ? name : m_path + "." + name;
    }

    bool has(const std::string& name) const {
        return m_object->has(name) && !m_object->isNull(name);
    }

    Result<std::string> text(const std::string& name, bool required) const {
        if (!has(name)) {
            if (required) {
                return failure(pathOf(name), "is required");
            }
            return std::string();
        }
        const auto value = m_object->get(name);
        if (!value.isString()) {
            return failure(pathOf(name), "must be a string");
        }
        auto text = value.extract<std::string>();
        if (required && text.empty()) {
            return failure(pathOf(name), "must not be empty");
        }
        return text;
    }

    Result<Array::Ptr> array(const std::string& name) const {
        if (!has(name)) {
            return Array::Ptr(new Array);
        }
        auto child = m_object->getArray(name);
        if (!child) {
            return failure(pathOf(name), "must be an array");
        }
        return child;
    }

    Result<Object::Ptr> object(const std::string& name) const {
        if (!has(name)) {
            return failure(pathOf(name), "is required");
        }
        auto child = m_object->getObject(name);
        if (!child) {
            return failure(pathOf(name), "must be an object");
        }
        return child;
    }

private:
    Object::Ptr m_object;
    std::string m_path;
};

Result<Object::Ptr> elementAt(const Array::Ptr& array, std::size_t index, const std::string& path) {
    auto element = array->getObject(static_cast<unsigned>(index));
    if (!element) {
        return failure(path, "must be an object");
    }
    return element;
}

bool allDigits(const std::string& text) {
    return !text.empty() && std::all_of(text.begin(), text.end(),
                                        [](unsigned char c) { return std::isdigit(c) != 0; });
}

// HL7 wants YYYYMMDD or YYYYMMDDHHMMSS; people write 2024-01-05 or 2024-01-05T09:30:00.
Result<std::string> hl7Time(const std::string& text, const std::string& path) {
    std::string digits;
    for (const char c : text) {
        if (c == '-' || c == ':' || c == 'T') {
            continue;
        }
        digits += c;
    }
    if (digits.size() == 12) {
        digits += "00";
    }
    if (!allDigits(digits) || (digits.size() != 8 && digits.size() != 14)) {
        return failure(path, "must be a date YYYY-MM-DD (or YYYYMMDD), optionally with a time");
    }
    return digits;
}

Result<std::string> idOrNew(const Fields& fields, messaging::ids::RandomSource& random) {
    auto id = fields.text("id", false);
    if (!id) {
        return id.error();
    }
    if (id->empty()) {
        return messaging::ids::newUuid(random);
    }
    std::string upper = *id;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!messaging::ids::isUpperCaseUuid(upper)) {
        return failure(fields.pathOf("id"), "must be a UUID");
    }
    return upper;
}

#define GP_TRY(variable, expression)                                                               \
    auto variable = (expression);                                                                  \
    if (!variable) {                                                                               \
        return variable.error();                                                                   \
    }

Result<ClinicalEntry> readEntry(const Object::Ptr& object, const std::string& path,
                                const std::string& defaultTime,
                                messaging::ids::RandomSource& random) {
    const Fields fields(object, path);
    ClinicalEntry entry;
    GP_TRY(kind, fields.text("kind", true));
    if (*kind == "observation") {
        entry.kind = ClinicalEntry::Kind::Observation;
    } else if (*kind == "medication") {
        entry.kind = ClinicalEntry::Kind::Medication;
    } else if (*kind == "allergy") {
        entry.kind = ClinicalEntry::Kind::Allergy;
    } else if (*kind == "narrative") {
        entry.kind = ClinicalEntry::Kind::Narrative;
    } else {
        return failure(fields.pathOf("kind"),
                       "must be observation, medication, allergy or narrative, not '" + *kind +
                           "'");
    }
    GP_TRY(id, idOrNew(fields, random));
    entry.id = *id;
    const bool coded = entry.kind != ClinicalEntry::Kind::Narrative;
    GP_TRY(code, fields.text("code", coded));
    GP_TRY(displayName, fields.text("displayName", coded));
    GP_TRY(text, fields.text("text", !coded));
    GP_TRY(value, fields.text("value", false));
    GP_TRY(unit, fields.text("unit", false));
    if (coded && !allDigits(*code)) {
        return failure(fields.pathOf("code"), "must be a SNOMED CT or dm+d code (digits)");
    }
    entry.code = *code;
    entry.displayName = *displayName;
    entry.text = *text;
    entry.value = *value;
    entry.unit = *unit;
    GP_TRY(time, fields.text("effectiveTime", false));
    if (time->empty()) {
        entry.effectiveTime = defaultTime;
    } else {
        GP_TRY(hl7, hl7Time(*time, fields.pathOf("effectiveTime")));
        entry.effectiveTime = *hl7;
    }
    return entry;
}

Result<Composition> readComposition(const Object::Ptr& object, const std::string& path,
                                    messaging::ids::RandomSource& random) {
    const Fields fields(object, path);
    Composition composition;
    GP_TRY(id, idOrNew(fields, random));
    composition.id = *id;
    GP_TRY(title, fields.text("title", true));
    composition.title = *title;
    GP_TRY(time, fields.text("effectiveTime", true));
    GP_TRY(hl7, hl7Time(*time, fields.pathOf("effectiveTime")));
    composition.effectiveTime = *hl7;
    GP_TRY(author, fields.text("author", false));
    composition.authorName = *author;
    GP_TRY(entries, fields.array("entries"));
    if ((*entries)->size() == 0) {
        return failure(fields.pathOf("entries"), "must hold at least one entry");
    }
    for (std::size_t i = 0; i < (*entries)->size(); ++i) {
        const std::string entryPath = fields.pathOf("entries") + "[" + std::to_string(i) + "]";
        GP_TRY(element, elementAt(*entries, i, entryPath));
        GP_TRY(entry, readEntry(*element, entryPath, composition.effectiveTime, random));
        composition.entries.push_back(std::move(*entry));
    }
    return composition;
}

// A plain file name: the record source must not reach outside the patient's folder.
bool isPlainFilename(const std::string& name) {
    return !name.empty() && name != "." && name != ".." &&
           name.find_first_of("/\\") == std::string::npos &&
           std::none_of(name.begin(), name.end(),
                        [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

Result<SourceAttachment> readAttachment(const Object::Ptr& object, const std::string& path,
                                        const std::filesystem::path& folder) {
    const Fields fields(object, path);
    SourceAttachment attachment;
    GP_TRY(file, fields.text("file", true));
    if (!isPlainFilename(*file) || *file == "record.json") {
        return failure(fields.pathOf("file"), "must name a file in the patient's folder");
    }
    GP_TRY(contentType, fields.text("contentType", true));
    if (!isAllowedAttachmentType(*contentType)) {
        return failure(fields.pathOf("contentType"),
                       "'" + *contentType + "' is not a content type Spine accepts");
    }
    GP_TRY(title, fields.text("title", false));
    attachment.filename = *file;
    attachment.file = folder / *file;
    attachment.contentType = *contentType;
    attachment.title = title->empty() ? *file : *title;
    std::error_code error;
    const auto status = std::filesystem::status(attachment.file, error);
    if (error || !std::filesystem::is_regular_file(status)) {
        return failure(fields.pathOf("file"), "no such file in the patient's folder");
    }
    attachment.bytes = std::filesystem::file_size(attachment.file, error);
    if (error) {
        return failure(fields.pathOf("file"), "cannot read its size: " + error.message());
    }
    return attachment;
}

} // namespace

bool isAllowedAttachmentType(const std::string& contentType) {
    static const std::array<const char*, 13> kAllowed = {"text/plain",
                                                         "text/html",
                                                         "application/pdf",
                                                         "text/xml",
                                                         "application/xml",
                                                         "text/rtf",
                                                         "image/png",
                                                         "image/gif",
                                                         "image/jpeg",
                                                         "image/tiff",
                                                         "video/mpeg",
                                                         "application/msword",
                                                         "application/octet-stream"};
    if (contentType.rfind("audio/", 0) == 0 && contentType.size() > 6) {
        return true;
    }
    return std::find(kAllowed.begin(), kAllowed.end(), contentType) != kAllowed.end();
}

Result<PatientRecord> parsePatientRecord(const std::string& json,
                                         const std::filesystem::path& folder,
                                         const std::string& nhsNumber,
                                         messaging::ids::RandomSource& random) {
    Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        root = parser.parse(json).extract<Object::Ptr>();
    } catch (const Poco::Exception& e) {
        return failure("record.json", "not valid JSON: " + e.message());
    } catch (const std::exception&) {
        return failure("record.json", "must be a JSON object");
    }
    if (!root) {
        return failure("record.json", "must be a JSON object");
    }
    const Fields fields(root, "");
    PatientRecord record;

    GP_TRY(patient, fields.object("patient"));
    const Fields patientFields(*patient, "patient");
    GP_TRY(number, patientFields.text("nhsNumber", true));
    if (!messaging::ids::checkNhsNumber(*number)) {
        return failure("patient.nhsNumber", "is not a valid NHS number");
    }
    if (*number != nhsNumber) {
        return failure("patient.nhsNumber", "does not match the folder's name");
    }
    record.nhsNumber = *number;
    for (const char* name : {"family", "given", "gender"}) {
        GP_TRY(ignored, patientFields.text(name, false));
    }
    GP_TRY(birthDate, patientFields.text("birthDate", false));
    if (!birthDate->empty()) {
        GP_TRY(checked, hl7Time(*birthDate, "patient.birthDate"));
    }

    GP_TRY(compositions, fields.array("compositions"));
    for (std::size_t i = 0; i < (*compositions)->size(); ++i) {
        const std::string path = "compositions[" + std::to_string(i) + "]";
        GP_TRY(element, elementAt(*compositions, i, path));
        GP_TRY(composition, readComposition(*element, path, random));
        record.compositions.push_back(std::move(*composition));
    }
    if (record.compositions.empty()) {
        return failure("compositions", "must hold at least one composition");
    }

    GP_TRY(attachments, fields.array("attachments"));
    for (std::size_t i = 0; i < (*attachments)->size(); ++i) {
        const std::string path = "attachments[" + std::to_string(i) + "]";
        GP_TRY(element, elementAt(*attachments, i, path));
        GP_TRY(attachment, readAttachment(*element, path, folder));
        record.attachments.push_back(std::move(*attachment));
    }
    return record;
}

Result<PatientRecord> readPatientRecord(const std::filesystem::path& folder,
                                        const std::string& nhsNumber,
                                        messaging::ids::RandomSource& random) {
    std::string json;
    try {
        json = readWholeFile(folder / "record.json");
    } catch (const std::exception&) {
        return failure("record.json", "cannot be read");
    }
    return parsePatientRecord(json, folder, nhsNumber, random);
}

} // namespace gp::agent::gp2gp
