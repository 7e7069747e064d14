#include "Hl7Writer.hpp"

#include <gp/messaging/xml/SafeXml.hpp>

#include <stdexcept>

namespace gp::messaging::hl7 {

namespace {

void appendPadded(std::string& out, long long value, int width) {
    std::string digits = std::to_string(value);
    if (digits.size() < static_cast<std::size_t>(width)) {
        out.append(static_cast<std::size_t>(width) - digits.size(), '0');
    }
    out += digits;
}

} // namespace

std::string hl7Timestamp(std::chrono::sys_seconds time) {
    using namespace std::chrono;
    const auto day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    std::string out;
    out.reserve(14);
    appendPadded(out, static_cast<int>(date.year()), 4);
    appendPadded(out, static_cast<unsigned>(date.month()), 2);
    appendPadded(out, static_cast<unsigned>(date.day()), 2);
    appendPadded(out, clock.hours().count(), 2);
    appendPadded(out, clock.minutes().count(), 2);
    appendPadded(out, clock.seconds().count(), 2);
    return out;
}

Hl7Writer::Hl7Writer() {
    m_out.reserve(4096); // an ack's size; a prescription grows it once or twice
    m_out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
}

void Hl7Writer::openRoot(std::string_view name) {
    open(name, {{"xmlns", "urn:hl7-org:v3"}});
}

void Hl7Writer::open(std::string_view name, const Attributes& attributes) {
    startTag(name, attributes);
    m_out += ">\n";
    m_open.emplace_back(name);
}

void Hl7Writer::close() {
    if (m_open.empty()) {
        throw std::logic_error("Hl7Writer::close() with no element open");
    }
    m_out.append((m_open.size() - 1) * 2, ' ');
    m_out += "</";
    m_out += m_open.back();
    m_out += ">\n";
    m_open.pop_back();
}

void Hl7Writer::empty(std::string_view name, const Attributes& attributes) {
    startTag(name, attributes);
    m_out += "/>\n";
}

void Hl7Writer::text(std::string_view name, std::string_view value, const Attributes& attributes) {
    startTag(name, attributes);
    m_out += '>';
    xml::escapeInto(m_out, value);
    m_out += "</";
    m_out += name;
    m_out += ">\n";
}

std::string Hl7Writer::finish() {
    if (!m_open.empty()) {
        throw std::logic_error("Hl7Writer::finish() with <" + m_open.back() + "> still open");
    }
    return std::move(m_out);
}

void Hl7Writer::startTag(std::string_view name, const Attributes& attributes) {
    m_out.append(m_open.size() * 2, ' ');
    m_out += '<';
    m_out += name;
    for (const auto& [key, value] : attributes) {
        m_out += ' ';
        m_out += key;
        m_out += "=\"";
        xml::escapeInto(m_out, value);
        m_out += '"';
    }
}

} // namespace gp::messaging::hl7
