#include <gp/mock/ErsRateLimiter.hpp>

#include <algorithm>

namespace gp::mock {

namespace {

constexpr std::int64_t kMilliTokensPerRequest = 1000;

} // namespace

ErsRateLimiter::ErsRateLimiter(int perSecond, const Clock& clock)
    : m_clock(clock), m_perSecond(std::max(perSecond, 0)),
      m_milliTokens(m_perSecond * kMilliTokensPerRequest), m_refilledAt(clock.now()) {}

bool ErsRateLimiter::tryAcquire() {
    if (m_perSecond == 0) {
        return true;
    }
    std::lock_guard lock(m_mutex);
    const TimePoint now = m_clock.now();
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(now - m_refilledAt).count();
    if (elapsed > 0) {
        // perSecond tokens per 1000 ms is perSecond milli-tokens per ms. Only whole milliseconds
        // are taken, so that calls closer together than 1 ms still add up.
        const std::int64_t capacity = m_perSecond * kMilliTokensPerRequest;
        m_milliTokens = std::min(capacity, m_milliTokens + elapsed * m_perSecond);
        m_refilledAt += std::chrono::milliseconds(elapsed);
    } else if (elapsed < 0) {
        // The clock went back: start measuring from the new time rather than never refilling.
        m_refilledAt = now;
    }
    if (m_milliTokens < kMilliTokensPerRequest) {
        return false;
    }
    m_milliTokens -= kMilliTokensPerRequest;
    return true;
}

} // namespace gp::mock
