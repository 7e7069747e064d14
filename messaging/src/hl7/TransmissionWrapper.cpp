#include "TransmissionWrapper.hpp"

namespace gp::messaging::hl7 {

namespace {

constexpr std::string_view kXsiNamespace = "http://www.w3.org/2001/XMLSchema-instance";

void writeAsidDevice(Hl7Writer& w, std::string_view element, std::string_view typeCode,
                     std::string_view asid) {
    w.open(element, {{"typeCode", typeCode}});
    w.open("device", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", asid}});
    w.close();
    w.close();
}

} // namespace

void openTransmissionWrapper(Hl7Writer& w, const TransmissionWrapper& wrapper) {
    if (wrapper.xsiNamespace) {
        w.open(wrapper.interaction, {{"xmlns", "urn:hl7-org:v3"}, {"xmlns:xsi", kXsiNamespace}});
    } else {
        w.openRoot(wrapper.interaction);
    }
    w.empty("id", {{"root", wrapper.messageId}});
    w.empty("creationTime", {{"value", hl7Timestamp(wrapper.creationTime)}});
    w.empty("versionCode", {{"code", wrapper.versionCode}});
    w.empty("interactionId", {{"root", kInteractionIdRoot}, {"extension", wrapper.interaction}});
    w.empty("processingCode", {{"code", "P"}});
    w.empty("processingModeCode", {{"code", "T"}});
    w.empty("acceptAckCode", {{"code", "NE"}});
    if (wrapper.acknowledgement) {
        const WrapperAcknowledgement& ack = *wrapper.acknowledgement;
        w.open("acknowledgement", {{"typeCode", ack.typeCode}});
        if (ack.details) {
            ack.details(w);
        }
        w.open("messageRef");
        w.empty("id", {{"root", ack.messageRef}});
        w.close(); // messageRef
        w.close(); // acknowledgement
    }
    writeAsidDevice(w, "communicationFunctionRcv", "RCV", wrapper.toAsid);
    writeAsidDevice(w, "communicationFunctionSnd", "SND", wrapper.fromAsid);

    w.open("ControlActEvent", {{"classCode", "CACT"}, {"moodCode", "EVN"}});
    if (wrapper.author) {
        w.open("author", {{"typeCode", "AUT"}});
        w.open("AgentPersonSDS", {{"classCode", "AGNT"}});
        w.empty("id",
                {{"root", kSdsRoleProfileRoot}, {"extension", wrapper.author->sdsRoleProfileId}});
        w.open("agentPersonSDS", {{"classCode", "PSN"}, {"determinerCode", "INSTANCE"}});
        w.empty("id", {{"root", kSdsUserRoot}, {"extension", wrapper.author->sdsUserId}});
        w.close(); // agentPersonSDS
        w.close(); // AgentPersonSDS
        w.close(); // author
    }
    w.open("author1", {{"typeCode", "AUT"}});
    w.open("AgentSystemSDS", {{"classCode", "AGNT"}});
    w.open("agentSystemSDS", {{"classCode", "DEV"}, {"determinerCode", "INSTANCE"}});
    w.empty("id", {{"root", kAsidRoot}, {"extension", wrapper.fromAsid}});
    w.close(); // agentSystemSDS
    w.close(); // AgentSystemSDS
    w.close(); // author1
}

std::string wrapperMessageIdPath(const std::string& root) {
    return root + "/hl7:id/@root";
}

std::string wrapperMessageRefPath(const std::string& root) {
    return root + "/hl7:acknowledgement/hl7:messageRef/hl7:id/@root";
}

std::string wrapperSenderAsidPath(const std::string& root) {
    return root + "/hl7:communicationFunctionSnd/hl7:device/hl7:id/@extension";
}

std::string wrapperReceiverAsidPath(const std::string& root) {
    return root + "/hl7:communicationFunctionRcv/hl7:device/hl7:id/@extension";
}

} // namespace gp::messaging::hl7
