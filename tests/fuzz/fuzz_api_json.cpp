// The local API's JSON request bodies: the EPS prescription (readPrescriptionRequest), the
// prescriber and organisation objects (also what an EPS cancellation carries), the stored
// prescriber record, the generic body reader every route uses, and the e-RS referral's fields.
// GP2GP's request and acknowledgement bodies are the generic reader plus string fields.

#include "FuzzInput.hpp"
#include "api/RequestBodies.hpp"
#include "eps/PrescriberJson.hpp"

#include <gp/agent/eps/PrescriptionRequest.hpp>

#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view json = gp::fuzz::asText(data, size);
    (void)gp::agent::readPrescriptionRequest(json);
    (void)gp::agent::readPrescriberJson(std::string(json));

    const auto body = gp::agent::api::parseJsonObject(json);
    if (!body) {
        return 0;
    }
    gp::agent::ErsReferralInput referral;
    (void)gp::agent::api::readErsReferralInput(body, referral);

    std::vector<gp::Error> errors;
    gp::messaging::eps::Prescriber prescriber;
    gp::messaging::eps::Organisation organisation;
    gp::agent::readPrescriberObject(*body, "body", prescriber, errors);
    gp::agent::readOrganisationObject(*body, "body", organisation, errors);
    for (const char* name : {"prescriber", "organisation"}) {
        if (body->has(name) && body->get(name).type() == typeid(Poco::JSON::Object::Ptr)) {
            const auto inner = body->getObject(name);
            gp::agent::readPrescriberObject(*inner, name, prescriber, errors);
            gp::agent::readOrganisationObject(*inner, name, organisation, errors);
        }
    }
    return 0;
}
