#include "../inbound/InboundEndpoint.hpp"
#include "../mhs/MhsFront.hpp"

#include <gp/agent/AgentRuntime.hpp>
#include <gp/agent/FilePermissions.hpp>
#include <gp/agent/Files.hpp>
#include <gp/agent/SystemRandom.hpp>
#include <gp/agent/api/ApiTokens.hpp>
#include <gp/agent/api/LocalApi.hpp>
#include <gp/agent/dispatch/Dispatcher.hpp>
#include <gp/agent/eps/EpsCancellations.hpp>
#include <gp/agent/eps/EpsStatusTracker.hpp>
#include <gp/agent/eps/EpsSubmissions.hpp>
#include <gp/agent/ers/ErsService.hpp>
#include <gp/agent/gp2gp/Gp2gpService.hpp>
#include <gp/agent/routing/RouteLookup.hpp>
#include <gp/agent/store/Store.hpp>
#include <gp/agent/transport/CurlTransport.hpp>
#include <gp/messaging/ids/Identifiers.hpp>

#include <Poco/Logger.h>

#include <cstdio>
#include <map>

namespace gp::agent {

namespace {

Poco::Logger& logger() {
    return Poco::Logger::get("gp-agent");
}

std::string trim(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    const auto last = text.find_last_not_of(" \t\r\n");
    return first == std::string::npos ? std::string() : text.substr(first, last - first + 1);
}

} // namespace

std::string loadOrCreateApiToken(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) {
        writeFileAtomically(file, api::newSecretToken() + "\n", 0600);
        logger().notice("created API token file %s", file.string());
    }
    requireOwnerOnlyFile(file, "api.tokenFile");
    auto token = trim(readWholeFile(file));
    if (token.empty()) {
        throw std::runtime_error("api.tokenFile " + file.string() + " is empty");
    }
    return token;
}

void createTokensFileIfMissing(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) {
        writeFileAtomically(file, api::formatTokenFile({}), 0600);
        logger().notice("created the named API tokens file %s (empty)", file.string());
    }
    requireOwnerOnlyFile(file, "api.tokensFile");
}

struct AgentRuntime::Parts {
    SystemClock clock;
    SystemRandom random;
    std::unique_ptr<FileLock> lock;
    std::unique_ptr<Store> store;
    /// Every practice the agent acts for (docs/multi-practice.md), for the local API and the
    /// MHS front; the default practice's routing is the EPS parts' own.
    std::unique_ptr<PracticeDirectory> practices;
    std::unique_ptr<EpsSubmissions> eps;
    std::unique_ptr<EpsCancellations> epsCancellations;
    std::unique_ptr<EpsStatusTracker> epsTracker;
    std::unique_ptr<Dispatcher> dispatcher;
    std::unique_ptr<RouteLookup> routes;
    std::unique_ptr<Gp2gpService> gp2gp;
    std::unique_ptr<ErsService> ers;
    std::unique_ptr<LocalApi> api;
    std::unique_ptr<InboundEndpoint> inbound;
    std::unique_ptr<mhs::MhsFront> mhsFront; // only when mhs.enabled
};

AgentRuntime::AgentRuntime(AgentSettings settings)
    : m_settings(std::move(settings)), m_parts(std::make_unique<Parts>()) {}

AgentRuntime::~AgentRuntime() {
    stop();
}

void AgentRuntime::start() {
    auto& p = *m_parts;
    // Refuses state other users could read or change (docs/security.md); creates it private.
    requirePrivateDirectory(m_settings.stateDir, "agent.stateDir");
    p.lock = std::make_unique<FileLock>(m_settings.stateDir / "agent.lock");
    const std::string token = loadOrCreateApiToken(m_settings.apiTokenFile);
    createTokensFileIfMissing(m_settings.apiTokensFile);

    // Shared by every instance of a fleet: created private like the state directory.
    const std::filesystem::path filesDir = filesDirOf(m_settings);
    if (filesDir != m_settings.stateDir) {
        requirePrivateDirectory(filesDir, "store.filesDir");
    }
    if (m_settings.store.engine == "postgresql") {
        logger().notice("store: PostgreSQL %s as instance %s", maskStoreUrl(m_settings.store.url),
                        m_settings.store.instance);
    }
    const StoreLocation storeLocation = storeLocationOf(m_settings);
    p.store = openStore(storeLocation, p.clock);
    // A shared store releases only this instance's own leases (the dispatcher's lease owner
    // starts with the instance name): the other instances' are live.
    auto released = p.store->releaseAllLeases();
    if (!released) {
        throw std::runtime_error("cannot recover messages left in flight: " +
                                 released.error().describe());
    }
    if (*released > 0) {
        logger().notice("%d message(s) left in flight by the previous run will be sent again",
                        *released);
    }

    // EPS messages, whether from the local API or the MHS front, go to Spine under one routing.
    const EpsRouting epsRouting{m_settings.partyKey,      m_settings.asid,
                                m_settings.odsCode,       m_settings.spineUrl,
                                m_settings.spinePartyKey, m_settings.spineCpaId,
                                m_settings.spineAsid,     m_settings.epsPersistDuration,
                                m_settings.epsMaxAttempts};
    p.practices = std::make_unique<PracticeDirectory>(practicesOf(m_settings));
    p.eps = std::make_unique<EpsSubmissions>(*p.store, p.clock, p.random, epsRouting);
    p.epsCancellations =
        std::make_unique<EpsCancellations>(*p.store, p.clock, p.random, epsRouting);
    p.epsTracker = std::make_unique<EpsStatusTracker>(*p.store);

    initialiseCurlGlobally();
    DispatcherSettings dispatch;
    dispatch.threads = m_settings.dispatchThreads;
    dispatch.connectionsPerEndpoint = m_settings.dispatchConnectionsPerEndpoint;
    dispatch.lease = m_settings.dispatchLease;
    // The store's instance name first, so that after a crash this instance's next start
    // recognises its own leases (releaseAllLeases); the UUID tells one run from the next.
    dispatch.instanceId =
        leaseOwnerPrefix(storeLocation.instance) + messaging::ids::newUuid(p.random);
    const TransportSettings transport = m_settings.transport;
    // Every transport resumes the TLS sessions the others negotiated (CurlShare).
    auto curlShare = std::make_shared<CurlShare>();
    p.dispatcher = std::make_unique<Dispatcher>(
        *p.store, p.clock, p.random,
        RetryPolicy({m_settings.retryBaseDelay, m_settings.retryMaxDelay}),
        [transport, curlShare] { return std::make_unique<CurlTransport>(transport, curlShare); },
        dispatch);
    Dispatcher* dispatcher = p.dispatcher.get();
    // A practice with a client certificate of its own sends under it (docs/multi-practice.md).
    std::map<std::string, TlsSettings> ownCertificates;
    for (const Practice& practice : p.practices->all()) {
        if (!practice.certFile.empty()) {
            TlsSettings tls = transport.tls; // the same CA and password; its own pair
            tls.certFile = practice.certFile;
            tls.keyFile = practice.keyFile;
            ownCertificates.emplace(practice.odsCode, tls);
        }
    }
    if (!ownCertificates.empty()) {
        std::vector<std::string> odsCodes;
        for (const auto& entry : ownCertificates) {
            odsCodes.push_back(entry.first);
        }
        // The CurlShare stays shared: libcurl resumes a TLS session only under the client
        // certificate it was made with.
        p.dispatcher->setPracticeTransports(
            odsCodes, [transport, curlShare, ownCertificates](const std::string& odsCode) {
                TransportSettings settings = transport;
                settings.tls = ownCertificates.at(odsCode);
                return std::make_unique<CurlTransport>(settings, curlShare);
            });
    }

    p.routes = makeSdsRouteLookup(m_settings.sdsUrl, m_settings.sdsCacheTtl, p.clock,
                                  std::make_unique<CurlTransport>(transport, curlShare));
    p.gp2gp = std::make_unique<Gp2gpService>(
        Gp2gpService::Dependencies{*p.store, *p.routes, p.clock, p.random,
                                   [dispatcher] { dispatcher->notify(); }},
        *p.practices, m_settings.gp2gp, filesDir / "gp2gp");
    Gp2gpService* gp2gp = p.gp2gp.get();
    // A transfer moves on when one of its messages is acknowledged, fails or expires.
    EpsStatusTracker* epsTracker = p.epsTracker.get();
    p.ers = std::make_unique<ErsService>(
        ErsService::Dependencies{*p.store, p.clock, p.random,
                                 [dispatcher] { dispatcher->notify(); }},
        m_settings.ers, m_settings.odsCode, filesDir / "ers",
        std::make_unique<CurlTransport>(transport, curlShare)); // searches, while the caller waits
    ErsService* ers = p.ers.get();
    p.dispatcher->setFinishedListener([gp2gp, epsTracker, ers](const MessageRecord& record) {
        gp2gp->outboundFinished(record);
        epsTracker->messageFinished(record); // EPS items follow their messages' outcomes
        ers->outboundFinished(record);       // an e-RS request takes its next step
    });
    // What other instances sharing the store did (PostgreSQL; a SQLite store never calls): new
    // work for the dispatcher, or something for the workflow leader to act on. A message this
    // instance finished reaches the leader the same way when this instance does not lead.
    p.store->setSignalListener([dispatcher, gp2gp, ers](StoreSignal signal) {
        switch (signal) {
        case StoreSignal::OutboxChanged:
            dispatcher->notify();
            break;
        case StoreSignal::InboxChanged:
        case StoreSignal::MessageFinished:
        case StoreSignal::WorkflowLeadTaken:
            gp2gp->inboundArrived();
            ers->storeChanged();
            break;
        }
    });
    p.dispatcher->start();
    p.gp2gp->start();
    p.ers->start();

    LocalApi::Dependencies apiDeps{*p.store, *p.eps, p.clock,
                                   [dispatcher] { dispatcher->notify(); }};
    apiDeps.gp2gp = gp2gp;
    apiDeps.epsCancellations = p.epsCancellations.get();
    apiDeps.ers = ers;
    apiDeps.practices = p.practices.get();
    LocalApiSettings apiSettings{
        m_settings.apiBind,         m_settings.apiPort,        token,
        m_settings.apiMaxBodyBytes, m_settings.apiConnections, m_settings.apiTls,
        m_settings.apiTokensFile};
    apiSettings.storeEngine = m_settings.store.engine;
    if (m_settings.store.engine == "postgresql") {
        apiSettings.storeInstance = m_settings.store.instance;
    }
    p.api = std::make_unique<LocalApi>(std::move(apiDeps), std::move(apiSettings));
    p.api->start();

    InboundEndpoint::Settings inbound;
    inbound.bind = m_settings.inboundBind;
    inbound.port = m_settings.inboundPort;
    inbound.maxBodyBytes = m_settings.inboundMaxBodyBytes;
    inbound.inboxDir = filesDir / "inbox";
    for (const Practice& practice : p.practices->all()) {
        inbound.localPartyKeys.push_back(practice.partyKey);
    }
    inbound.tls = m_settings.inboundTls;
    p.inbound = std::make_unique<InboundEndpoint>(inbound, *p.store, p.clock, p.random,
                                                  [gp2gp] { gp2gp->inboundArrived(); });
    p.inbound->start();

    std::string mhsPort;
    if (m_settings.mhsEnabled) {
        p.mhsFront = std::make_unique<mhs::MhsFront>(
            mhs::MhsFront::Dependencies{*p.store, p.clock, p.random, epsRouting,
                                        [dispatcher] { dispatcher->notify(); }, p.practices.get()},
            mhs::MhsFront::Settings{m_settings.mhsBind, m_settings.mhsPort,
                                    mhs::MhsFront::Settings{}.maxBodyBytes,
                                    m_settings.mhsConnections});
        p.mhsFront->start();
        mhsPort = ", \"mhs\": " + std::to_string(p.mhsFront->port());
        logger().notice("MHS front listening on %s:%d", m_settings.mhsBind, p.mhsFront->port());
    }

    writeFileAtomically(m_settings.stateDir / "ports.json",
                        "{\"api\": " + std::to_string(p.api->port()) + ", \"inbound\": " +
                            std::to_string(p.inbound->port()) + mhsPort + "}\n");
    logger().notice("listening: local API %s %s:%d, inbound %s %s:%d; sending to %s",
                    std::string(m_settings.apiTls.enabled() ? "https" : "http"), m_settings.apiBind,
                    p.api->port(),
                    std::string(m_settings.inboundTls.enabled() ? "mutual TLS" : "PLAIN HTTP"),
                    m_settings.inboundBind, p.inbound->port(), m_settings.spineUrl);
}

void AgentRuntime::stop() {
    auto& p = *m_parts;
    // No more signals into the parts about to go (waits for one being delivered).
    if (p.store) {
        p.store->setSignalListener({});
    }
    // Stop taking work first, then let in-flight sends finish, then close the store.
    if (p.api) {
        p.api->stop();
    }
    if (p.inbound) {
        p.inbound->stop();
    }
    if (p.mhsFront) {
        p.mhsFront->stop();
    }
    if (p.gp2gp) {
        p.gp2gp->stop();
    }
    if (p.ers) {
        p.ers->stop();
    }
    if (p.dispatcher) {
        p.dispatcher->stop();
    }
    p.api.reset();
    p.inbound.reset();
    p.mhsFront.reset();
    p.gp2gp.reset();
    p.dispatcher.reset();
    p.ers.reset();
    p.routes.reset();
    p.eps.reset();
    p.epsCancellations.reset();
    p.epsTracker.reset();
    p.store.reset();
    p.lock.reset();
}

int AgentRuntime::apiPort() const {
    return m_parts->api ? m_parts->api->port() : 0;
}
int AgentRuntime::inboundPort() const {
    return m_parts->inbound ? m_parts->inbound->port() : 0;
}

} // namespace gp::agent
