#include <gp/mock/Gp2gpInteractions.hpp>

namespace gp::mock {

const std::vector<Gp2gpInteraction>& gp2gpInteractions() {
    static const std::vector<Gp2gpInteraction> table = {
        {"RCMR_IN010000UK05", "S20001A000182", "PT4H10M"}, // EHR request
        {"RCMR_IN030000UK06", "S20001A000183", "PT4H10M"}, // EHR extract
        {"RCMR_IN030000UK07", "S20001A000184", "PT4H10M"}, // EHR extract with redactions
        {"COPC_IN000001UK01", "S20001A000185", "PT7H"},    // continue, attachments, fragments
        {"MCCI_IN010000UK13", "S20001A000186", "PT4M"},    // application acknowledgement
    };
    return table;
}

const Gp2gpInteraction* findGp2gpInteraction(std::string_view id) {
    for (const auto& interaction : gp2gpInteractions()) {
        if (interaction.id == id) {
            return &interaction;
        }
    }
    return nullptr;
}

} // namespace gp::mock
