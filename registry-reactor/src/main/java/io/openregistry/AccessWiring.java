package io.openregistry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import io.openregistry.api.AccountHandlers;
import io.openregistry.api.ManagementApi;
import io.openregistry.api.PasskeyHandlers;
import io.openregistry.api.WebSessions;
import io.openregistry.auth.Passkeys;
import io.openregistry.content.BrowseService;
import io.openregistry.auth.NamespaceRules;
import io.openregistry.metadata.OrgStore;
import io.openregistry.org.AccessPolicyDecisions;
import io.openregistry.org.ManagementPolicy;
import io.openregistry.org.Organizations;
import io.openregistry.org.RepositoryAccess;
import io.openregistry.org.Robots;
import io.openregistry.org.Users;
import io.openregistry.api.TokenHandlers;
import io.openregistry.auth.AccessPolicy;
import io.openregistry.auth.Accounts;
import io.openregistry.auth.HashingGate;
import io.openregistry.auth.KeyReloader;
import io.openregistry.auth.KeyRing;
import io.openregistry.auth.RepositorySettings;
import io.openregistry.auth.Throttle;
import io.openregistry.auth.TokenService;
import io.openregistry.auth.TokenSigner;
import io.openregistry.auth.TokenVerifier;
import io.openregistry.config.Config;
import io.openregistry.config.ConfigException;
import io.openregistry.http.AccessGuard;
import io.openregistry.http.Endpoint;
import io.openregistry.http.Handler;
import io.openregistry.http.Responses;
import io.openregistry.metadata.r2dbc.R2dbcMetadata;
import io.openregistry.oci.OciError;
import io.openregistry.oci.OciException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The access-control part of the composition root ({@link Registry}): the token service, the
 * account API, the access guard and their housekeeping, built from {@code auth.*}.
 */
final class AccessWiring {
    private static final Logger log = LoggerFactory.getLogger(AccessWiring.class);

    private AccessWiring() {
    }

    /** One route of the token endpoint or account API. */
    record Route(Endpoint endpoint, HttpMethod method, Handler handler) {}

    /**
     * The access guard of the API, the routes of {@code /token}, {@code /auth/} and {@code /api/v1/},
     * housekeeping, and the periodic reload of the signing keys (to subscribe once the registry is up).
     */
    record AccessControl(AccessGuard guard, List<Route> routes, Mono<Void> sweep, Flux<?> keyReloads) {}

    /**
     * With {@code auth.enabled} the token service, account API and guard (signing keys loaded or
     * generated, admin account ensured); without it the open guard, and endpoints that say so.
     *
     * @param files where blocking file reads may run (the periodic reload of the signing keys)
     * @param namespaces the namespace rules of sign-up and organization creation
     */
    static AccessControl build(Config.Auth auth, Config.Namespaces namespaces, R2dbcMetadata metadata,
                               Responses responses, ObjectMapper json, Scheduler hashing, Scheduler files,
                               MeterRegistry meters,
                               java.util.function.Function<Boolean, Mono<java.util.Map<String, Object>>> gc,
                               BrowseService browse) {
        List<Route> routes = new ArrayList<>();
        if (!auth.enabled()) {
            Handler off = (request, response, route) -> Mono.error(OciError.UNSUPPORTED.exception(404,
                    "access control is off on this registry (auth.enabled: false)"));
            for (Endpoint e : List.of(Endpoint.TOKEN, Endpoint.AUTH_SIGNUP, Endpoint.AUTH_SIGNIN, Endpoint.AUTH_SIGNOUT,
                    Endpoint.AUTH_ACCOUNT, Endpoint.AUTH_TOKENS, Endpoint.AUTH_TOKEN, Endpoint.AUTH_REPOSITORY, Endpoint.AUTH_GC,
                    Endpoint.AUTH_SESSION, Endpoint.AUTH_PASSKEYS, Endpoint.AUTH_PASSKEY,
                    Endpoint.AUTH_PASSKEY_REGISTRATION_OPTIONS, Endpoint.AUTH_PASSKEY_REGISTRATION,
                    Endpoint.AUTH_PASSKEY_AUTHENTICATION_OPTIONS, Endpoint.AUTH_PASSKEY_AUTHENTICATION)) {
                for (HttpMethod m : List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PATCH, HttpMethod.DELETE)) {
                    routes.add(new Route(e, m, off));
                }
            }
            ManagementApi.off(List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
                    HttpMethod.DELETE), browse, responses).forEach(r -> routes.add(new Route(r.endpoint(), r.method(), r.handler())));
            return new AccessControl(AccessGuard.open(), routes, Mono.empty(), Flux.empty());
        }
        KeyReloader reloader;
        try {
            reloader = KeyReloader.open(auth.keysDir());
        } catch (java.io.IOException | RuntimeException e) {
            throw new ConfigException("auth.keysDir: cannot load or create the token signing keys in " + auth.keysDir()
                    + ": " + e.getMessage());
        }
        KeyRing keys = reloader.ring();
        Clock clock = Clock.systemUTC();
        Throttle throttle = new Throttle(auth.requestsPerMinute(), auth.failuresPerMinute(),
                auth.accountFailuresPerMinute(), auth.signupsPerHour());
        HashingGate gate = new HashingGate(auth.hashingConcurrency(), auth.hashingQueueDeadline(), hashing);
        NamespaceRules rules = new NamespaceRules(namespaces.reserved(), namespaces.organizationsByAdminsOnly());
        Accounts accounts = new Accounts(metadata.accounts(), metadata.repositories(), metadata.orgs(), throttle, gate,
                auth.sessionTtl(), clock, rules);
        if (auth.adminUsername() != null) {
            ensureAdmin(accounts, auth);
        }
        AccessPolicy policy = new AccessPolicy(metadata.orgs());
        TokenService tokens = new TokenService(policy,
                new TokenSigner(keys, auth.issuer(), clock), auth.service(), auth.tokenTtl());
        TokenHandlers token = new TokenHandlers(tokens, accounts, throttle, responses);
        WebSessions web = new WebSessions(accounts, auth.web().origins(), auth.web().cookieSecure(), auth.sessionTtl());
        AccountHandlers account = new AccountHandlers(accounts, new RepositorySettings(metadata.orgs(), policy), throttle,
                responses, json, auth.signup(), web);
        Passkeys passkeys = new Passkeys(metadata.passkeys(), metadata.accounts(), metadata.orgs(), metadata.repositories(), rules, throttle,
                clock, auth.web().rpId(), auth.web().rpName(), auth.web().challengeTtl());
        PasskeyHandlers passkey = new PasskeyHandlers(accounts, passkeys, throttle, responses, json, web, auth.signup());
        routes.add(new Route(Endpoint.TOKEN, HttpMethod.GET, token.get()));
        routes.add(new Route(Endpoint.TOKEN, HttpMethod.POST, token.post()));
        routes.add(new Route(Endpoint.AUTH_SIGNUP, HttpMethod.POST, account.signUp()));
        routes.add(new Route(Endpoint.AUTH_SIGNIN, HttpMethod.POST, account.signIn()));
        routes.add(new Route(Endpoint.AUTH_SIGNOUT, HttpMethod.POST, account.signOut()));
        routes.add(new Route(Endpoint.AUTH_ACCOUNT, HttpMethod.GET, account.account()));
        routes.add(new Route(Endpoint.AUTH_TOKENS, HttpMethod.GET, account.listTokens()));
        routes.add(new Route(Endpoint.AUTH_TOKENS, HttpMethod.POST, account.createToken()));
        routes.add(new Route(Endpoint.AUTH_TOKEN, HttpMethod.DELETE, account.revokeToken()));
        routes.add(new Route(Endpoint.AUTH_REPOSITORY, HttpMethod.GET, account.repository()));
        routes.add(new Route(Endpoint.AUTH_REPOSITORY, HttpMethod.PATCH, account.updateRepository()));
        routes.add(new Route(Endpoint.AUTH_GC, HttpMethod.POST, account.gc(gc)));
        routes.add(new Route(Endpoint.AUTH_SESSION, HttpMethod.POST, passkey.signIn()));
        routes.add(new Route(Endpoint.AUTH_SESSION, HttpMethod.GET, passkey.current()));
        routes.add(new Route(Endpoint.AUTH_SESSION, HttpMethod.DELETE, passkey.signOut()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY_REGISTRATION_OPTIONS, HttpMethod.POST, passkey.registrationOptions()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY_REGISTRATION, HttpMethod.POST, passkey.register()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY_AUTHENTICATION_OPTIONS, HttpMethod.POST, passkey.authenticationOptions()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY_AUTHENTICATION, HttpMethod.POST, passkey.authenticate()));
        routes.add(new Route(Endpoint.AUTH_PASSKEYS, HttpMethod.GET, passkey.list()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY, HttpMethod.PATCH, passkey.rename()));
        routes.add(new Route(Endpoint.AUTH_PASSKEY, HttpMethod.DELETE, passkey.remove()));
        // the management API (/api/v1): Org mode
        OrgStore orgs = metadata.orgs();
        ManagementPolicy decisions = new AccessPolicyDecisions(policy, orgs);
        Users users = new Users(metadata.accounts(), orgs, accounts, decisions);
        ManagementApi.routes(accounts, users, new Organizations(orgs, metadata.repositories(), decisions, rules, clock),
                        new Robots(orgs, decisions, clock), new RepositoryAccess(orgs, decisions), throttle, responses, json,
                        web, browse)
                .forEach(r -> routes.add(new Route(r.endpoint(), r.method(), r.handler())));
        TokenVerifier verifier = new TokenVerifier(keys, auth.issuer(), auth.service(), clock, TokenVerifier.DEFAULT_SKEW);
        AccessGuard guard = AccessGuard.tokens(verifier, auth.service(), auth.realm(), auth.tokenTtl(), meters);
        log.info("access control on: token service '{}', signing key {}, realm {}, keys in {} ({})",
                auth.service(), keys.activeKid(), auth.realm() == null ? "<scheme>://<Host>/token" : auth.realm(),
                auth.keysDir(), auth.keysReload().isZero() ? "not reloaded: auth.keysReloadSeconds=0"
                        : "reloaded every " + auth.keysReload().toSeconds() + " s");
        // the reads of the key files block: on the file I/O scheduler, never on an event loop
        Flux<?> keyReloads = auth.keysReload().isZero() ? Flux.empty() : reloader.every(auth.keysReload(), files);
        // deferred: each sweep asks for the time anew
        return new AccessControl(guard, routes,
                Mono.defer(accounts::deleteExpired).then(Mono.defer(passkeys::deleteExpired)).then(), keyReloads);
    }

    /** The bootstrap admin account from {@code auth.admin.*}; bad values stop startup naming the key. */
    private static void ensureAdmin(Accounts accounts, Config.Auth auth) {
        if (!Accounts.isValidUsername(auth.adminUsername())) {
            throw new ConfigException("auth.admin.username: '" + auth.adminUsername()
                    + "' is not a valid username (one repository path component: a-z, 0-9, separated by '.', '_', '__' or '-')");
        }
        try {
            accounts.ensureAdmin(auth.adminUsername(), auth.adminPassword()).block(Duration.ofSeconds(60));
        } catch (OciException e) {
            throw new ConfigException("auth.admin.password: " + e.getMessage());
        }
    }
}
