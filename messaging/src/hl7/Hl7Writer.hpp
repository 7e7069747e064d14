#pragma once

#include <chrono>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gp::messaging::hl7 {

/// HL7 v3 TS value: YYYYMMDDHHMMSS in UTC.
std::string hl7Timestamp(std::chrono::sys_seconds time);

/// Writes indented XML for the HL7 builders. Every attribute value and text is escaped here, so
/// no builder can forget to.
class Hl7Writer {
public:
    // A list, not a vector: the builders write a few hundred elements a message, and each
    // attribute list would otherwise be a heap allocation.
    using Attributes = std::initializer_list<std::pair<std::string_view, std::string_view>>;

    Hl7Writer();

    /// Root element, carrying the default HL7 v3 namespace.
    void openRoot(std::string_view name);
    void open(std::string_view name, const Attributes& attributes = {});
    void close();
    void empty(std::string_view name, const Attributes& attributes = {});
    void text(std::string_view name, std::string_view value, const Attributes& attributes = {});

    /// The document; every opened element must have been closed.
    std::string finish();

private:
    void startTag(std::string_view name, const Attributes& attributes);

    std::string m_out;
    std::vector<std::string> m_open;
};

} // namespace gp::messaging::hl7
