#include <gp/mock/ErsDirectory.hpp>

#include <array>

namespace gp::mock {

namespace {

constexpr int kServiceCount = 25;
constexpr int kFirstServiceId = 10000001;

struct Specialty {
    std::string_view code;
    std::string_view name;
};

constexpr std::array<Specialty, 5> kSpecialties{{{"CARDIOLOGY", "Cardiology"},
                                                 {"DERMATOLOGY", "Dermatology"},
                                                 {"ORTHOPAEDICS", "Orthopaedics"},
                                                 {"GASTROENTEROLOGY", "Gastroenterology"},
                                                 {"OPHTHALMOLOGY", "Ophthalmology"}}};

} // namespace

ErsDirectory::ErsDirectory() {
    // More services than a shortlist may hold, so that a full shortlist of 20 can be tested.
    for (int n = 1; n <= kServiceCount; ++n) {
        const Specialty& specialty =
            kSpecialties[static_cast<std::size_t>(n - 1) % kSpecialties.size()];
        m_services.push_back(
            {std::to_string(kFirstServiceId + n - 1),
             "Mock " + std::string(specialty.name) + " Service " + std::to_string(n),
             std::string(specialty.code)});
    }
}

const ErsService* ErsDirectory::find(std::string_view id) const {
    for (const auto& service : m_services) {
        if (service.id == id) {
            return &service;
        }
    }
    return nullptr;
}

} // namespace gp::mock
