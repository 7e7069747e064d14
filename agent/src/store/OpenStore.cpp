#include <gp/agent/store/Store.hpp>

#include <stdexcept>

namespace gp::agent {

std::string leaseOwnerPrefix(std::string_view instance) {
    return std::string(instance) + "/";
}

std::unique_ptr<Store> openStore(const StoreLocation& location, const Clock& clock) {
    if (location.engine == "sqlite") {
        return openSqliteStore(location.sqliteFile, clock);
    }
    if (location.engine == "postgresql") {
        if (location.postgresUrl.empty()) {
            throw std::runtime_error("store.engine is postgresql but store.url is not set");
        }
        if (location.instance.empty()) {
            throw std::runtime_error(
                "store.engine is postgresql but store.instance is not set: each gp-agent"
                " sharing the store needs a name of its own");
        }
        return openPostgresStore(location.postgresUrl, location.instance, clock,
                                 location.contendsForWorkflows);
    }
    throw std::runtime_error("store.engine is '" + location.engine +
                             "': it must be sqlite or postgresql");
}

} // namespace gp::agent
