#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gp::mock {

/// One service a referrer can shortlist.
struct ErsService {
    std::string id; // e.g. "10000001"
    std::string name;
    std::string specialty; // e.g. "CARDIOLOGY"
};

/// The mock's built-in directory of services, which A010 searches and A011 shortlists from:
/// 25 services, ids 10000001 to 10000025, specialties taken in turn from a short list.
class ErsDirectory {
public:
    ErsDirectory();

    const std::vector<ErsService>& services() const { return m_services; }
    /// The service with that id, or nullptr.
    const ErsService* find(std::string_view id) const;

private:
    std::vector<ErsService> m_services;
};

} // namespace gp::mock
