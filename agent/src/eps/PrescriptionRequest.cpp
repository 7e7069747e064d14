#include <gp/agent/eps/PrescriptionRequest.hpp>

#include <Poco/JSON/JSONException.h>
#include <Poco/JSON/ParseHandler.h>
#include <Poco/JSON/Parser.h>

#include <cmath>
#include <sstream>

namespace gp::agent {

namespace {

using messaging::eps::TreatmentType;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Reads fields of one JSON object, recording a shape error (with its full path) for each field
// of the wrong type. Missing optional fields read as empty; the clinical validator decides
// which of them are required.
class FieldReader {
public:
    FieldReader(Object::Ptr object, std::string path, std::vector<Error>& errors)
        : m_object(std::move(object)), m_path(std::move(path)), m_errors(errors) {}

    std::string pathOf(const std::string& name) const {
        return m_path.empty() ? name : m_path + "." + name;
    }

    bool has(const std::string& name) const {
        return m_object && m_object->has(name) && !m_object->isNull(name);
    }

    std::string text(const std::string& name) {
        if (!has(name)) {
            return {};
        }
        const auto value = m_object->get(name);
        if (!value.isString()) {
            m_errors.push_back(failure(pathOf(name), "must be a string"));
            return {};
        }
        return value.extract<std::string>();
    }

    // Quantities are decimals; clinical systems send them as numbers or as text.
    std::string decimal(const std::string& name) {
        if (!has(name)) {
            return {};
        }
        const auto value = m_object->get(name);
        if (value.isString()) {
            return value.extract<std::string>();
        }
        if (value.isInteger()) {
            return std::to_string(value.convert<Poco::Int64>());
        }
        if (value.isNumeric()) {
            std::ostringstream out;
            out << value.convert<double>();
            return out.str();
        }
        m_errors.push_back(failure(pathOf(name), "must be a number"));
        return {};
    }

    std::optional<int> integer(const std::string& name) {
        if (!has(name)) {
            return std::nullopt;
        }
        const auto value = m_object->get(name);
        if (!value.isInteger()) {
            m_errors.push_back(failure(pathOf(name), "must be a whole number"));
            return std::nullopt;
        }
        return static_cast<int>(value.convert<Poco::Int64>());
    }

    Object::Ptr object(const std::string& name) {
        if (!has(name)) {
            return {};
        }
        auto child = m_object->getObject(name);
        if (!child) {
            m_errors.push_back(failure(pathOf(name), "must be an object"));
        }
        return child;
    }

    Array::Ptr array(const std::string& name) {
        if (!has(name)) {
            return {};
        }
        auto child = m_object->getArray(name);
        if (!child) {
            m_errors.push_back(failure(pathOf(name), "must be an array"));
        }
        return child;
    }

private:
    Object::Ptr m_object;
    std::string m_path;
    std::vector<Error>& m_errors;
};

std::optional<TreatmentType> treatmentTypeFrom(const std::string& text) {
    if (text == "acute" || text == "0001") {
        return TreatmentType::Acute;
    }
    if (text == "repeat" || text == "0002") {
        return TreatmentType::Repeat;
    }
    if (text == "repeat-dispensing" || text == "0003") {
        return TreatmentType::RepeatDispensing;
    }
    return std::nullopt;
}

} // namespace

PrescriptionRequest readPrescriptionRequest(std::string_view json) {
    PrescriptionRequest request;
    auto& errors = request.errors;
    Object::Ptr root;
    try {
        Poco::JSON::Parser parser;
        auto parsed = parser.parse(std::string(json));
        root = parsed.extract<Object::Ptr>();
    } catch (const Poco::BadCastException&) {
        errors.push_back(failure("body", "must be a JSON object"));
        return request;
    } catch (const Poco::Exception& e) {
        errors.push_back(failure("body", "is not valid JSON: " + e.message()));
        return request;
    }
    if (!root) {
        errors.push_back(failure("body", "must be a JSON object"));
        return request;
    }

    auto& p = request.prescription;
    FieldReader top(root, "", errors);
    p.prescriptionId = top.text("prescriptionId");

    if (auto patient = top.object("patient")) {
        FieldReader r(patient, "patient", errors);
        p.patient.nhsNumber = r.text("nhsNumber");
        p.patient.family = r.text("family");
        p.patient.given = r.text("given");
        p.patient.birthDate = r.text("birthDate");
        p.patient.gender = r.text("gender");
        p.patient.postcode = r.text("postcode");
    } else if (!top.has("patient")) {
        errors.push_back(failure("patient", "is required"));
    }

    if (auto prescriber = top.object("prescriber")) {
        FieldReader r(prescriber, "prescriber", errors);
        p.prescriber.odsCode = r.text("odsCode");
        p.prescriber.sdsUserId = r.text("sdsUserId");
        p.prescriber.sdsRoleProfileId = r.text("sdsRoleProfileId");
        p.prescriber.name = r.text("name");
        p.prescriber.professionalCode = r.text("professionalCode");
    } else if (!top.has("prescriber")) {
        errors.push_back(failure("prescriber", "is required"));
    }

    if (auto organisation = top.object("organisation")) {
        FieldReader r(organisation, "organisation", errors);
        p.organisation.odsCode = r.text("odsCode");
        p.organisation.name = r.text("name");
    }

    const std::string treatment = top.text("treatmentType");
    if (auto type = treatmentTypeFrom(treatment)) {
        p.treatmentType = *type;
    } else {
        errors.push_back(
            failure("treatmentType",
                    treatment.empty()
                        ? "is required (acute, repeat or repeat-dispensing)"
                        : "must be acute, repeat or repeat-dispensing, not '" + treatment + "'"));
    }
    if (top.has("dispensingSitePreference")) {
        p.dispensingSitePreference = top.text("dispensingSitePreference");
    }
    if (top.has("nominatedPharmacy")) {
        p.nominatedPharmacy = top.text("nominatedPharmacy");
    }
    p.repeatsAllowed = top.integer("repeatsAllowed");
    p.daysSupply = top.integer("daysSupply");

    if (auto items = top.array("items")) {
        for (std::size_t i = 0; i < items->size(); ++i) {
            const std::string path = "items[" + std::to_string(i) + "]";
            auto item = items->getObject(static_cast<unsigned>(i));
            if (!item) {
                errors.push_back(failure(path, "must be an object"));
                continue;
            }
            FieldReader r(item, path, errors);
            messaging::eps::LineItem line;
            line.itemId = r.text("itemId");
            line.dmdCode = r.text("dmdCode");
            line.description = r.text("description");
            line.quantity = r.decimal("quantity");
            line.unitDmdCode = r.text("unitDmdCode");
            line.unit = r.text("unit");
            line.dosage = r.text("dosage");
            p.items.push_back(std::move(line));
        }
    } else if (!top.has("items")) {
        errors.push_back(failure("items", "is required (1 to 4 line items)"));
    }
    return request;
}

} // namespace gp::agent
