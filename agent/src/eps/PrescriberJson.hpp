#pragma once

#include <gp/messaging/eps/ParentPrescription.hpp>

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

namespace gp::agent {

// How a prescription's prescriber and organisation are kept with it in the store, so that a
// later cancellation can default to them.

struct PrescriberRecord {
    messaging::eps::Prescriber prescriber;
    messaging::eps::Organisation organisation;
};

std::string writePrescriberJson(const PrescriberRecord& record);
/// Nothing read from an empty or unreadable text.
PrescriberRecord readPrescriberJson(const std::string& json);

/// Reads a local API "prescriber" object over `into` (fields given replace those there); shape
/// errors name "<where>.<field>".
void readPrescriberObject(const Poco::JSON::Object& object, const std::string& where,
                          messaging::eps::Prescriber& into, std::vector<Error>& errors);
/// The same for an "organisation" object.
void readOrganisationObject(const Poco::JSON::Object& object, const std::string& where,
                            messaging::eps::Organisation& into, std::vector<Error>& errors);

/// Appends the errors of `more` for fields `into` does not name yet: the messaging validator may
/// report again a field the JSON reader already found wrong, and the caller needs each field
/// named once, under the local API's names.
void mergeErrors(std::vector<Error>& into, const std::vector<Error>& more);

} // namespace gp::agent
