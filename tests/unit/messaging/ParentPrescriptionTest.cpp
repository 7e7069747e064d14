#include "Golden.hpp"

#include <gp/messaging/eps/ParentPrescription.hpp>
#include <gp/messaging/xml/SafeXml.hpp>

#include <doctest/doctest.h>

using namespace gp::messaging::eps;
using gp::messaging::xml::parse;

using gp::test::checkGolden;

namespace {

std::chrono::sys_seconds at(int y, unsigned m, unsigned d, int hh, int mm, int ss) {
    using namespace std::chrono;
    return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

ParentPrescription samplePrescription() {
    ParentPrescription p;
    p.prescriptionId = "24F5DA-A83008-7EFE6Z";
    p.prescriptionUuid = "20BA5FB5-CB58-462C-923E-22D180B09356";
    p.patient = Patient{"9449304130", "TWITCHETT", "STACEY", "1948-04-30", "female", "KT11 2QY"};
    p.prescriber = Prescriber{"A83008", "555254239107", "555254240100", "DR C BOIN", "6095103"};
    p.organisation = Organisation{"A83008", "HALLGARTH SURGERY"};
    p.treatmentType = TreatmentType::Acute;
    p.dispensingSitePreference = "P1";
    p.nominatedPharmacy = "FLE79";
    p.daysSupply = 28;
    p.authoredOn = at(2026, 3, 15, 6, 51, 8);
    p.items.push_back(LineItem{"A54219B8-F741-4C47-B662-E4F8DFA49AB6", "39732311000001104",
                               "Amoxicillin 250mg capsules", "20", "3317411000001100", "capsule",
                               "2 times a day for 10 days"});
    p.items.push_back(LineItem{"6989B7BD-8DB6-428C-A593-4022E3044C00", "322341003",
                               "Co-codamol 30mg/500mg tablets", "2.5", "428673006", "tablet",
                               "1 or 2 four times a day <max 8> & with food"});
    return p;
}

Hl7Wrapper sampleWrapper() {
    return Hl7Wrapper{"46183ABC-9FAD-4673-85DB-CE2CB6614732", at(2026, 3, 15, 6, 51, 9),
                      "200000001285", "567456789789"};
}

std::vector<std::string> wheres(const std::vector<gp::Error>& errors) {
    std::vector<std::string> out;
    for (const gp::Error& e : errors) {
        out.push_back(e.where);
    }
    return out;
}

const gp::Error* findError(const std::vector<gp::Error>& errors, const std::string& where) {
    for (const gp::Error& e : errors) {
        if (e.where == where) {
            return &e;
        }
    }
    return nullptr;
}

// The one error a single broken field gives, or a failed check naming what came instead.
std::string onlyError(const ParentPrescription& p, const std::string& where) {
    const std::vector<gp::Error> errors = validate(p);
    REQUIRE_MESSAGE(errors.size() == 1, "expected one error, got " << errors.size());
    CHECK(errors[0].where == where);
    return errors[0].message;
}

} // namespace

TEST_SUITE("messaging") {

    TEST_CASE("a fully valid prescription has no validation errors") {
        CHECK(validate(samplePrescription()).empty());

        ParentPrescription repeatDispensing = samplePrescription();
        repeatDispensing.treatmentType = TreatmentType::RepeatDispensing;
        repeatDispensing.repeatsAllowed = 6;
        repeatDispensing.nominatedPharmacy.reset();
        repeatDispensing.daysSupply.reset();
        CHECK(validate(repeatDispensing).empty());
    }

    TEST_CASE("validate names each patient field as the local API spells it") {
        ParentPrescription p = samplePrescription();
        SUBCASE("nhsNumber") {
            p.patient.nhsNumber = "9449304131";
            CHECK(onlyError(p, "patient.nhsNumber") == "check digit is 1, expected 0");
        }
        SUBCASE("family") {
            p.patient.family.clear();
            CHECK(onlyError(p, "patient.family") == "is required");
        }
        SUBCASE("birthDate not a real day") {
            p.patient.birthDate = "1948-02-30";
            CHECK(onlyError(p, "patient.birthDate") == "must be a real date written YYYY-MM-DD");
        }
        SUBCASE("birthDate in another layout") {
            p.patient.birthDate = "30/04/1948";
            CHECK(onlyError(p, "patient.birthDate") == "must be a real date written YYYY-MM-DD");
        }
        SUBCASE("gender") {
            p.patient.gender = "F";
            CHECK(onlyError(p, "patient.gender") == "must be male, female, other or unknown");
        }
    }

    TEST_CASE("validate names each prescriber and organisation field") {
        ParentPrescription p = samplePrescription();
        SUBCASE("prescriber.odsCode") {
            p.prescriber.odsCode = "a83008";
            CHECK(onlyError(p, "prescriber.odsCode") ==
                  "must be upper-case letters and digits only");
        }
        SUBCASE("prescriber.odsCode too long for the prescription ID") {
            p.prescriber.odsCode = "A830081";
            CHECK(onlyError(p, "prescriber.odsCode") ==
                  "must be at most 6 characters to fit the prescription ID");
        }
        SUBCASE("prescriber.sdsUserId") {
            p.prescriber.sdsUserId.clear();
            CHECK(onlyError(p, "prescriber.sdsUserId") == "is required");
        }
        SUBCASE("prescriber.sdsRoleProfileId") {
            p.prescriber.sdsRoleProfileId.clear();
            CHECK(onlyError(p, "prescriber.sdsRoleProfileId") == "is required");
        }
        SUBCASE("prescriber.name") {
            p.prescriber.name.clear();
            CHECK(onlyError(p, "prescriber.name") == "is required");
        }
        SUBCASE("organisation.odsCode") {
            p.organisation.odsCode = "AB";
            CHECK(onlyError(p, "organisation.odsCode") == "must be 3 to 10 characters");
        }
    }

    TEST_CASE("validate checks the prescription's identity and dispensing fields") {
        ParentPrescription p = samplePrescription();
        SUBCASE("prescriptionId check character") {
            p.prescriptionId = "24F5DA-A83008-7EFE6Y";
            CHECK(onlyError(p, "prescriptionId") == "check character is Y, expected Z");
        }
        SUBCASE("prescriptionUuid") {
            p.prescriptionUuid = "20ba5fb5-cb58-462c-923e-22d180b09356";
            CHECK(onlyError(p, "prescriptionUuid") == "must be an upper-case UUID");
        }
        SUBCASE("dispensingSitePreference") {
            p.dispensingSitePreference = "P4";
            CHECK(onlyError(p, "dispensingSitePreference") == "must be P1, P2 or P3");
        }
        SUBCASE("nominatedPharmacy syntax") {
            p.nominatedPharmacy = "fle79";
            CHECK(onlyError(p, "nominatedPharmacy") ==
                  "must be upper-case letters and digits only");
        }
        SUBCASE("nominatedPharmacy is optional whatever the preference") {
            p.nominatedPharmacy.reset();
            CHECK(validate(p).empty());
        }
        SUBCASE("daysSupply above 366") {
            p.daysSupply = 367;
            CHECK(onlyError(p, "daysSupply") == "must be 1 to 366");
        }
        SUBCASE("daysSupply zero") {
            p.daysSupply = 0;
            CHECK(onlyError(p, "daysSupply") == "must be 1 to 366");
        }
        SUBCASE("daysSupply at its limit") {
            p.daysSupply = 366;
            CHECK(validate(p).empty());
        }
    }

    TEST_CASE("repeatsAllowed belongs to repeat dispensing only and is 1 to 99") {
        ParentPrescription p = samplePrescription();
        SUBCASE("on an acute prescription") {
            p.repeatsAllowed = 3;
            CHECK(onlyError(p, "repeatsAllowed") == "is only allowed for repeat dispensing");
        }
        SUBCASE("missing for repeat dispensing") {
            p.treatmentType = TreatmentType::RepeatDispensing;
            CHECK(onlyError(p, "repeatsAllowed") == "is required for repeat dispensing");
        }
        SUBCASE("100 repeats") {
            p.treatmentType = TreatmentType::RepeatDispensing;
            p.repeatsAllowed = 100;
            CHECK(onlyError(p, "repeatsAllowed") == "must be 1 to 99");
        }
        SUBCASE("99 repeats") {
            p.treatmentType = TreatmentType::RepeatDispensing;
            p.repeatsAllowed = 99;
            CHECK(validate(p).empty());
        }
    }

    TEST_CASE("validate counts items and names each item field by its index") {
        ParentPrescription p = samplePrescription();
        SUBCASE("no items") {
            p.items.clear();
            CHECK(onlyError(p, "items") == "must hold 1 to 4 items, not 0");
        }
        SUBCASE("five items") {
            while (p.items.size() < 5) {
                p.items.push_back(p.items[0]);
            }
            CHECK(onlyError(p, "items") == "must hold 1 to 4 items, not 5");
        }
        SUBCASE("dmdCode with a letter") {
            p.items[1].dmdCode = "32234100X";
            CHECK(onlyError(p, "items[1].dmdCode") == "must be a dm+d code of 6 to 18 digits");
        }
        SUBCASE("dmdCode too short") {
            p.items[0].dmdCode = "12345";
            CHECK(onlyError(p, "items[0].dmdCode") == "must be a dm+d code of 6 to 18 digits");
        }
        SUBCASE("dmdCode too long") {
            p.items[0].dmdCode = "1234567890123456789";
            CHECK(onlyError(p, "items[0].dmdCode") == "must be a dm+d code of 6 to 18 digits");
        }
        SUBCASE("itemId") {
            p.items[0].itemId = "not-a-uuid";
            CHECK(onlyError(p, "items[0].itemId") == "must be an upper-case UUID");
        }
        SUBCASE("dosage") {
            p.items[1].dosage.clear();
            CHECK(onlyError(p, "items[1].dosage") == "is required");
        }
    }

    TEST_CASE("item quantities must be positive decimals") {
        for (const std::string quantity : {"0", "0.0", "-1", "2.", ".5", "1e3", "", "2,5"}) {
            CAPTURE(quantity);
            ParentPrescription q = samplePrescription();
            q.items[0].quantity = quantity;
            CHECK(onlyError(q, "items[0].quantity") == "must be a positive decimal number");
        }
        for (const std::string quantity : {"1", "0.5", "21", "100.25"}) {
            CAPTURE(quantity);
            ParentPrescription q = samplePrescription();
            q.items[0].quantity = quantity;
            CHECK(validate(q).empty());
        }
    }

    TEST_CASE("validate reports every problem at once, in field order") {
        ParentPrescription p = samplePrescription();
        p.patient.nhsNumber = "123";
        p.patient.gender = "";
        p.prescriptionId = "nonsense";
        p.items[0].quantity = "0";
        p.items[1].dmdCode = "";
        p.daysSupply = 400;
        const std::vector<gp::Error> errors = validate(p);
        CHECK(wheres(errors) == std::vector<std::string>{"patient.nhsNumber", "patient.gender",
                                                         "prescriptionId", "items[0].quantity",
                                                         "items[1].dmdCode", "daysSupply"});
        const gp::Error* nhs = findError(errors, "patient.nhsNumber");
        REQUIRE(nhs != nullptr);
        CHECK(nhs->describe() == "patient.nhsNumber: must be 10 digits");
    }

    TEST_CASE("treatment types map to their EPS codes") {
        CHECK(treatmentTypeCode(TreatmentType::Acute) == "0001");
        CHECK(treatmentTypeCode(TreatmentType::Repeat) == "0002");
        CHECK(treatmentTypeCode(TreatmentType::RepeatDispensing) == "0003");
    }

    TEST_CASE("buildParentPrescription matches its golden file") {
        checkGolden("eps_parent_prescription.xml",
                    buildParentPrescription(samplePrescription(), sampleWrapper()));
    }

    TEST_CASE("the built prescription answers spine-mock's XPaths") {
        const auto doc = parse(buildParentPrescription(samplePrescription(), sampleWrapper()));
        REQUIRE(doc.ok());
        CHECK(doc->rootName() == "PORX_IN020101SM31");
        CHECK(doc->rootNamespace() == "urn:hl7-org:v3");
        CHECK(
            doc->text("//hl7:pertinentPrescription/hl7:id[@root='2.16.840.1.113883.2.1.3.2.4.18.8']"
                      "/@extension") == "24F5DA-A83008-7EFE6Z");
        CHECK(doc->text("//hl7:recordTarget/hl7:Patient/hl7:id[@root='2.16.840.1.113883.2.1.4.1']"
                        "/@extension") == "9449304130");
        CHECK(doc->count("//hl7:pertinentLineItem") == 2);
    }

    TEST_CASE("the built prescription carries the wrapper, codes and items where HL7 puts them") {
        ParentPrescription p = samplePrescription();
        p.treatmentType = TreatmentType::RepeatDispensing;
        p.repeatsAllowed = 6;
        p.dispensingSitePreference = "P2";
        p.items.resize(1);
        const auto doc = parse(buildParentPrescription(p, sampleWrapper()));
        REQUIRE(doc.ok());
        CHECK(doc->text("/hl7:PORX_IN020101SM31/hl7:id/@root") ==
              "46183ABC-9FAD-4673-85DB-CE2CB6614732");
        CHECK(doc->text("/hl7:PORX_IN020101SM31/hl7:creationTime/@value") == "20260315065109");
        CHECK(doc->text("/hl7:PORX_IN020101SM31/hl7:interactionId/@extension") ==
              "PORX_IN020101SM31");
        CHECK(doc->text("//hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension") ==
              "567456789789");
        CHECK(doc->text("//hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension") ==
              "200000001285");
        CHECK(doc->text("//hl7:pertinentPrescription/hl7:id[1]/@root") ==
              "20BA5FB5-CB58-462C-923E-22D180B09356");
        CHECK(doc->text("//hl7:pertinentPrescriptionTreatmentType/hl7:value/@code") == "0003");
        CHECK(doc->text("//hl7:pertinentDispensingSitePreference/hl7:value/@code") == "P2");
        CHECK(doc->text("//hl7:pertinentPrescription/hl7:repeatNumber/hl7:high/@value") == "6");
        CHECK(doc->text("//hl7:performer//hl7:id[@root='1.2.826.0.1285.0.1.10']/@extension") ==
              "FLE79");
        CHECK(doc->text("//hl7:birthTime/@value") == "19480430");
        CHECK(doc->text("//hl7:administrativeGenderCode/@code") == "2");
        CHECK(doc->text("//hl7:pertinentLineItem/hl7:id/@root") ==
              "A54219B8-F741-4C47-B662-E4F8DFA49AB6");
        CHECK(doc->text("//hl7:manufacturedRequestedMaterial/hl7:code/@code") ==
              "39732311000001104");
        CHECK(doc->text("//hl7:lineItemQuantity/hl7:quantity/@value") == "20");
        CHECK(doc->text("//hl7:lineItemQuantity/hl7:quantity/hl7:translation/@displayName") ==
              "capsule");
        CHECK(doc->count("//hl7:pertinentLineItem") == 1);
    }

    TEST_CASE("the built prescription leaves out the performer without a nominated pharmacy") {
        ParentPrescription p = samplePrescription();
        p.nominatedPharmacy.reset();
        const auto doc = parse(buildParentPrescription(p, sampleWrapper()));
        REQUIRE(doc.ok());
        CHECK(doc->count("//hl7:performer") == 0);
        CHECK(doc->count("//hl7:repeatNumber") == 0);
    }

    TEST_CASE("text in the built prescription is XML-escaped and reads back unchanged") {
        ParentPrescription p = samplePrescription();
        p.patient.family = "O'Brien & \"Sons\" <Ltd>";
        const std::string built = buildParentPrescription(p, sampleWrapper());
        CHECK(built.find("<max 8>") == std::string::npos);
        const auto doc = parse(built);
        REQUIRE(doc.ok());
        CHECK(doc->text("//hl7:patientPerson/hl7:name/hl7:family") == "O'Brien & \"Sons\" <Ltd>");
        CHECK(doc->texts("//hl7:pertinentDosageInstructions/hl7:value") ==
              std::vector<std::string>{"2 times a day for 10 days",
                                       "1 or 2 four times a day <max 8> & with food"});
    }

} // TEST_SUITE
