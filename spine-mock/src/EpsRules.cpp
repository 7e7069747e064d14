#include <gp/messaging/xml/SafeXml.hpp>
#include <gp/mock/EpsRules.hpp>
#include <gp/mock/SpineRules.hpp>

#include <utility>
#include <vector>

namespace gp::mock {

namespace {

namespace xml = messaging::xml;

constexpr std::size_t kMaxLineItems = 4;

// The roots are written out here rather than taken from messaging's eps header, so that the
// mock reads the document the way Spine does and not the way our builder wrote it.
constexpr std::string_view kHl7Namespace = "urn:hl7-org:v3";
constexpr std::string_view kPrescriptionIdRoot = "2.16.840.1.113883.2.1.3.2.4.18.8";
constexpr std::string_view kNhsNumberRoot = "2.16.840.1.113883.2.1.4.1";

// The HL7 elements the rules look for; every other element is Other.
enum class Hl7Element {
    Other,
    Id,
    Value,
    Device,
    Patient,
    RecordTarget,
    PertinentPrescription,
    PertinentLineItem,
    CommunicationFunctionSnd,
    CommunicationFunctionRcv,
    CancellationRequest,
    PertinentPrescriptionId,
    PertinentLineItemRef,
    PertinentCancellationReason,
};

Hl7Element hl7Element(const xml::StartTag& tag) {
    if (tag.namespaceUri() != kHl7Namespace) {
        return Hl7Element::Other;
    }
    static const std::pair<std::string_view, Hl7Element> kNames[] = {
        {"id", Hl7Element::Id},
        {"value", Hl7Element::Value},
        {"device", Hl7Element::Device},
        {"Patient", Hl7Element::Patient},
        {"recordTarget", Hl7Element::RecordTarget},
        {"pertinentPrescription", Hl7Element::PertinentPrescription},
        {"pertinentLineItem", Hl7Element::PertinentLineItem},
        {"communicationFunctionSnd", Hl7Element::CommunicationFunctionSnd},
        {"communicationFunctionRcv", Hl7Element::CommunicationFunctionRcv},
        {"CancellationRequest", Hl7Element::CancellationRequest},
        {"pertinentPrescriptionID", Hl7Element::PertinentPrescriptionId},
        {"pertinentLineItemRef", Hl7Element::PertinentLineItemRef},
        {"pertinentCancellationReason", Hl7Element::PertinentCancellationReason},
    };
    for (const auto& [name, element] : kNames) {
        if (tag.localName() == name) {
            return element;
        }
    }
    return Hl7Element::Other;
}

// Everything either rule set reads, gathered in one pass over the payload instead of an XPath
// search of the whole document per field. Each field is what the XPath in its comment selects
// (the first match in document order, or all of them), so the mock accepts exactly what it did
// when it asked those queries.
class PayloadFacts final : public xml::ElementVisitor {
public:
    // //hl7:pertinentPrescription/hl7:id[@root='...18.8']/@extension
    std::optional<std::string> prescriptionId;
    // //hl7:recordTarget/hl7:Patient/hl7:id[@root='...4.1']/@extension
    std::optional<std::string> nhsNumber;
    // count(//hl7:pertinentLineItem)
    std::size_t lineItems = 0;
    // //hl7:pertinentLineItem/hl7:id/@root, all of them
    std::vector<std::string> lineItemIds;
    // //hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension (and Rcv)
    std::optional<std::string> senderAsid;
    std::optional<std::string> receiverAsid;
    // //hl7:CancellationRequest//hl7:pertinentPrescriptionID/hl7:value[@root='...18.8']/@extension
    std::optional<std::string> cancelPrescriptionId;
    // //hl7:CancellationRequest//hl7:pertinentLineItemRef/hl7:id/@root
    std::optional<std::string> cancelLineItemId;
    // //hl7:CancellationRequest/hl7:recordTarget/hl7:Patient/hl7:id[@root='...4.1']/@extension
    std::optional<std::string> cancelNhsNumber;
    // //hl7:CancellationRequest/hl7:id/@root
    std::optional<std::string> cancellationId;
    // //hl7:CancellationRequest//hl7:pertinentCancellationReason/hl7:value/@code
    std::optional<std::string> reasonCode;

    void startElement(const xml::StartTag& tag) override {
        const Hl7Element element = hl7Element(tag);
        if (element == Hl7Element::PertinentLineItem) {
            ++lineItems;
        } else if (element == Hl7Element::Id) {
            readId(tag);
        } else if (element == Hl7Element::Value && m_openCancellations > 0) {
            readValue(tag);
        }
        if (element == Hl7Element::CancellationRequest) {
            ++m_openCancellations;
        }
        m_open.push_back(element);
    }

    void endElement() override {
        if (m_open.back() == Hl7Element::CancellationRequest) {
            --m_openCancellations;
        }
        m_open.pop_back();
    }

private:
    // The open element `up` levels above the current one (1: its parent), Other above the root.
    Hl7Element ancestor(std::size_t up) const {
        return up <= m_open.size() ? m_open[m_open.size() - up] : Hl7Element::Other;
    }

    static void takeFirst(std::optional<std::string>& field, const xml::StartTag& tag,
                          std::string_view attribute) {
        if (!field) {
            field = tag.attribute(attribute);
        }
    }

    static bool rootIs(const xml::StartTag& tag, std::string_view root) {
        const auto value = tag.attribute("root");
        return value && *value == root;
    }

    void readId(const xml::StartTag& tag) {
        const Hl7Element parent = ancestor(1);
        const Hl7Element grandparent = ancestor(2);
        if (parent == Hl7Element::PertinentPrescription && !prescriptionId &&
            rootIs(tag, kPrescriptionIdRoot)) {
            takeFirst(prescriptionId, tag, "extension");
        }
        if (parent == Hl7Element::Patient && grandparent == Hl7Element::RecordTarget &&
            (!nhsNumber || !cancelNhsNumber) && rootIs(tag, kNhsNumberRoot)) {
            takeFirst(nhsNumber, tag, "extension");
            if (ancestor(3) == Hl7Element::CancellationRequest) {
                takeFirst(cancelNhsNumber, tag, "extension");
            }
        }
        if (parent == Hl7Element::PertinentLineItem) {
            if (auto root = tag.attribute("root")) {
                lineItemIds.push_back(std::move(*root));
            }
        }
        if (parent == Hl7Element::Device && grandparent == Hl7Element::CommunicationFunctionSnd) {
            takeFirst(senderAsid, tag, "extension");
        }
        if (parent == Hl7Element::Device && grandparent == Hl7Element::CommunicationFunctionRcv) {
            takeFirst(receiverAsid, tag, "extension");
        }
        if (parent == Hl7Element::PertinentLineItemRef && m_openCancellations > 0) {
            takeFirst(cancelLineItemId, tag, "root");
        }
        if (parent == Hl7Element::CancellationRequest) {
            takeFirst(cancellationId, tag, "root");
        }
    }

    void readValue(const xml::StartTag& tag) {
        const Hl7Element parent = ancestor(1);
        if (parent == Hl7Element::PertinentPrescriptionId && !cancelPrescriptionId &&
            rootIs(tag, kPrescriptionIdRoot)) {
            takeFirst(cancelPrescriptionId, tag, "extension");
        }
        if (parent == Hl7Element::PertinentCancellationReason) {
            takeFirst(reasonCode, tag, "code");
        }
    }

    std::vector<Hl7Element> m_open; // the elements the current one is inside, outermost first
    std::size_t m_openCancellations = 0;
};

Result<PayloadFacts> scanPayload(std::string_view hl7Xml) {
    PayloadFacts facts;
    if (auto scanned = xml::scan(hl7Xml, facts); !scanned) {
        return failure("payload", "is not well-formed XML: " + scanned.error().describe());
    }
    return facts;
}

bool isUpperCaseUuid(std::string_view text) {
    if (text.size() != 36) {
        return false;
    }
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') {
                return false;
            }
        } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

CancellationOutcome cancellationOutcome(std::string code, std::string displayName) {
    CancellationOutcome outcome;
    outcome.code = std::move(code);
    outcome.displayName = std::move(displayName);
    return outcome;
}

} // namespace

Result<PrescriptionFacts> readPrescriptionFacts(std::string_view hl7Xml) {
    auto scanned = scanPayload(hl7Xml);
    if (!scanned) {
        return scanned.error();
    }
    PrescriptionFacts facts;
    facts.prescriptionId = std::move(scanned->prescriptionId);
    facts.nhsNumber = std::move(scanned->nhsNumber);
    facts.lineItems = scanned->lineItems;
    facts.lineItemIds = std::move(scanned->lineItemIds);
    facts.senderAsid = scanned->senderAsid.value_or("");
    facts.receiverAsid = scanned->receiverAsid.value_or("");
    return facts;
}

AckOutcome unableToProcess(std::string_view reason) {
    return {false, "5000",
            "Unable to process message: information missing or invalid (" + std::string(reason) +
                ")"};
}

AckOutcome duplicatePrescriptionOutcome() {
    return {false, "0002", "Duplicate prescription ID: already accepted by Spine"};
}

AckOutcome acceptedOutcome() {
    return {};
}

std::optional<AckOutcome> findRuleViolation(const PrescriptionFacts& facts) {
    if (!facts.prescriptionId) {
        return unableToProcess("prescriptionId is missing");
    }
    if (auto checked = rules::checkPrescriptionId(*facts.prescriptionId); !checked) {
        return AckOutcome{false, "5009", "Invalid prescription ID: " + checked.error().describe()};
    }
    if (!facts.nhsNumber) {
        return unableToProcess("nhsNumber is missing");
    }
    if (!rules::checkNhsNumber(*facts.nhsNumber)) {
        return unableToProcess("nhsNumber is not valid");
    }
    if (facts.lineItems == 0) {
        return unableToProcess("no line items found");
    }
    if (facts.lineItems > kMaxLineItems) {
        return unableToProcess("more than 4 line items");
    }
    return std::nullopt;
}

Result<CancellationFacts> readCancellationFacts(std::string_view hl7Xml) {
    auto scanned = scanPayload(hl7Xml);
    if (!scanned) {
        return scanned.error();
    }
    CancellationFacts facts;
    facts.prescriptionId = std::move(scanned->cancelPrescriptionId);
    facts.lineItemId = std::move(scanned->cancelLineItemId);
    facts.nhsNumber = std::move(scanned->cancelNhsNumber);
    facts.cancellationId = scanned->cancellationId.value_or("");
    facts.reasonCode = scanned->reasonCode.value_or("");
    facts.senderAsid = scanned->senderAsid.value_or("");
    facts.receiverAsid = scanned->receiverAsid.value_or("");
    return facts;
}

std::optional<CancellationOutcome> findCancellationViolation(const CancellationFacts& facts) {
    if (!facts.prescriptionId || !facts.lineItemId || !facts.nhsNumber ||
        facts.reasonCode.empty()) {
        return cancellationOutcome("5000", "Unable to process message: information missing");
    }
    if (!rules::checkPrescriptionId(*facts.prescriptionId)) {
        return cancellationOutcome("5888", "Invalid message: prescription ID is not valid");
    }
    if (!isUpperCaseUuid(*facts.lineItemId)) {
        return cancellationOutcome("5888", "Invalid message: line item ID is not a UUID");
    }
    if (!rules::checkNhsNumber(*facts.nhsNumber)) {
        return cancellationOutcome("5888", "Invalid message: NHS number is not valid");
    }
    return std::nullopt;
}

CancellationOutcome decideCancellation(bool prescriptionKnown,
                                       const std::optional<ItemState>& item) {
    if (!prescriptionKnown) {
        CancellationOutcome held = cancellationOutcome("0008", "Prescription/item not found");
        held.hold = true;
        return held;
    }
    if (!item) {
        return cancellationOutcome("0008", "Prescription/item not found");
    }
    if (item->state == "cancelled") {
        return cancellationOutcome("0006", "Prescription/item had already been cancelled");
    }
    if (item->state == "dispensed") {
        return cancellationOutcome(
            "0004", "Prescription/item was not cancelled. Prescription has been dispensed");
    }
    if (item->state == "with-dispenser") {
        CancellationOutcome marked = cancellationOutcome(
            "0002", "Prescription/item was not cancelled. With dispenser. Marked for cancellation");
        marked.dispenserOds = item->dispenserOds;
        return marked;
    }
    CancellationOutcome cancelled = cancellationOutcome("0001", "Prescription/item was cancelled");
    cancelled.newItemState = "cancelled";
    return cancelled;
}

} // namespace gp::mock
