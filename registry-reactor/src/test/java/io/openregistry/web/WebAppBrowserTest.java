package io.openregistry.web;

import static org.assertj.core.api.Assertions.assertThat;

import io.openregistry.RegistryServer;
import io.openregistry.config.Config;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.virtualauthenticator.Credential;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;

/**
 * The web app in a real browser (Debian's Chromium, headless) against a whole registry with
 * access control on: passkeys through a virtual authenticator, images pushed by skopeo, every page
 * checked with axe-core, and no Content-Security-Policy violation on the console after any test.
 * Screenshots of the main pages land in {@code target/screenshots}.
 */
class WebAppBrowserTest {
    private static final String SERVICE = "openregistry-web-test";
    private static RegistryServer server;
    private static Browser browser;
    private static RegistryHttp http;
    @TempDir
    Path work;

    @BeforeAll
    static void start() {
        server = RegistryServer.start(RegistryServer.Backend.H2, null, null, dir -> new Config.Auth(true, SERVICE,
                "openregistry-web-test-issuer", null, Duration.ofMinutes(5), dir.resolve("keys"), "root",
                "root-password-1", true, false, Duration.ofDays(1), 100_000, 100_000, 300_000, 100_000, 4,
                Duration.ofSeconds(30)));
        http = new RegistryHttp("http://localhost:" + server.port(), SERVICE);
        browser = new Browser(server.port());
    }

    @AfterAll
    static void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    @BeforeEach
    void freshVisitor() {
        browser.driver.manage().deleteAllCookies();
        browser.newAuthenticator();
    }

    @AfterEach
    void noPolicyViolation() {
        assertThat(browser.cspViolations()).as("Content-Security-Policy violations on the console").isEmpty();
    }

    @Test
    void signUpWithAPasskeySignOutSignInAgainAddASecondAndRemoveTheFirst() {
        String noAutofill = browser.withoutConditionalMediation();
        try {
            passkeyLifecycle();
        } finally {
            browser.restoreConditionalMediation(noAutofill);
        }
    }

    private void passkeyLifecycle() {
        VirtualAuthenticator device = browser.authenticator();
        browser.open("/signup", "#signup-username");
        browser.assertAccessible("sign-up");
        browser.screenshot("signup");
        signUp("alice");
        assertThat(device.getCredentials()).hasSize(1);
        Credential first = device.getCredentials().get(0);
        assertThat(first.isResidentCredential()).isTrue();
        browser.assertAccessible("account");
        browser.screenshot("account");

        browser.click("#signout");
        browser.waitForUrl("/signin");
        browser.waitFor("#signin-passkey");
        browser.waitUntil(d -> d.findElements(By.id("signout")).isEmpty());
        browser.assertAccessible("sign-in");
        browser.screenshot("signin");
        // discoverable: no username typed, the authenticator offers the account's passkey
        browser.click("#signin-passkey");
        browser.waitForUrl(browser.base + "/");
        browser.waitForText("header nav", "alice");

        // a second passkey, from another device (WebAuthn's excludeCredentials keeps a device from
        // holding two passkeys of one account), then the first one removed
        browser.open("/account", "#add-passkey");
        browser.waitForText("#passkeys", "First passkey");
        VirtualAuthenticator laptop = browser.newAuthenticator();
        browser.type("#passkey-name", "laptop");
        browser.click("#add-passkey");
        browser.waitForText("#passkey-msg", "added");
        browser.waitUntil(d -> d.findElements(By.cssSelector("#passkeys tbody tr")).size() == 2);
        assertThat(laptop.getCredentials()).hasSize(1);
        Credential second = laptop.getCredentials().get(0);
        browser.acceptNextConfirm();
        browser.click("button[aria-label='Remove passkey First passkey']");
        browser.waitForText("#passkey-msg", "removed");
        browser.waitUntil(d -> d.findElements(By.cssSelector("#passkeys tbody tr")).size() == 1);
        assertThat(browser.find("#passkeys tbody").getText()).contains("laptop").doesNotContain("First passkey");
        // the last passkey of an account without a password cannot go
        browser.acceptNextConfirm();
        browser.click("button[aria-label='Remove passkey laptop']");
        browser.waitForText("#passkey-msg", "(409)");
        assertThat(browser.all("#passkeys tbody tr")).hasSize(1);

        // signed out, a device holding only the removed passkey is refused; one with the second gets in
        browser.click("#signout");
        browser.waitFor("#signin-passkey");
        browser.newAuthenticator().addCredential(first);
        browser.click("#signin-passkey");
        assertThat(browser.waitForText("#signin-error", "not accepted")).contains("passkey not accepted");
        browser.newAuthenticator().addCredential(second);
        browser.click("#signin-passkey");
        browser.waitForUrl(browser.base + "/");
        browser.waitForText("header nav", "alice");
    }

    @Test
    void conditionalMediationSignsInFromTheUsernameField() {
        signUp("autofill");
        Credential passkey = browser.authenticator().getCredentials().get(0);
        // signed out with a device that holds no passkey: the autofill request ends without a choice
        browser.newAuthenticator();
        browser.click("#signout");
        browser.waitFor("#signin-passkey");
        assertThat(browser.all("#signin-error")).isEmpty();
        // the page asks for a passkey with mediation "conditional" when it opens: with one on the
        // device the browser offers it in the username field's autofill (autocomplete="username
        // webauthn"), and choosing it signs in; Chromium's virtual authenticator chooses at once
        browser.authenticator().addCredential(passkey);
        browser.driver.get(browser.base + "/signin");
        browser.waitForUrl(browser.base + "/");
        browser.waitForText("header nav", "autofill");
        assertThat(browser.all("#signin-error")).isEmpty();
    }

    @Test
    void passwordAccountsSignInWithTheirPassword() {
        http.signUp("pat", "a long password 1");
        browser.open("/signin", "#signin-password");
        browser.type("#username", "pat").type("#password", "wrong password 1").click("#signin-password");
        browser.waitFor("#signin-error");
        browser.type("#password", "a long password 1").click("#signin-password");
        browser.waitForUrl(browser.base + "/");
        browser.waitForText("header nav", "pat");
        browser.open("/account", "#tokens");
        // a password account may change it (and add passkeys)
        assertThat(browser.all("#current-password")).hasSize(1);
    }

    @Test
    void organizationWithATeamAndARobotWhoseSecretWorks() {
        http.signUp("dave", "dave password 1");
        browser.open("/signup", "#signup-username");
        signUp("carol");
        browser.open("/orgs", "#org-name");
        browser.assertAccessible("organizations");
        browser.type("#org-name", "acme").click("#create-org");
        browser.waitForUrl("/orgs/acme");
        browser.waitForText("#members", "carol");
        assertThat(browser.find("#members").getText()).contains("owner");

        browser.type("#team-name", "devs").click("#create-team");
        browser.waitFor("#team-devs");
        browser.type("#tm-devs", "dave");
        browser.find("#tm-devs").submit();
        browser.waitForText("#team-devs", "dave");
        browser.type("#tr-devs", "app");
        browser.find("#tr-devs").submit();
        browser.waitForText("#team-devs", "acme/app");

        browser.type("#robot-name", "ci").click("#create-robot");
        String secret = browser.waitForText("#robot-secret", "orrobot_").strip();
        browser.waitForText("#robots", "acme+ci");
        browser.assertAccessible("organization");
        browser.screenshot("organization");
        // shown once: gone after a reload, and it gets the robot a registry token
        browser.open("/orgs/acme", "#robots");
        assertThat(browser.all("#robot-secret")).isEmpty();
        assertThat(http.token("acme+ci", secret, "repository:acme/app:pull")).isNotBlank();
    }

    @Test
    void apiDocsRenderTheOpenApiDocument() {
        browser.open("/api-docs/", ".swagger-ui .info .title");
        browser.waitFor(".swagger-ui .opblock");
        assertThat(browser.find(".swagger-ui .info .title").getText()).contains("OpenRegistry");
        browser.screenshot("api-docs");
        browser.assertAccessible("api docs");
    }

    @Test
    void anUnknownPageSaysSo() {
        browser.open("/no/such/page", "h1");
        browser.waitForText("h1", "Page not found");
        browser.assertAccessible("not found");
    }

    @Test
    void aTokenMadeInTheUiPushesWithSkopeoAndThePagesShowTheImage() {
        signUp("erin");
        String pat = createToken("ci");
        browser.assertAccessible("account with a new token");
        TestImages.Image image = TestImages.multiArch(work.resolve("layout"), "multi");
        String repo = "erin/multi";
        skopeo("copy", "--all", "--dest-tls-verify=false", "--dest-creds", "erin:" + pat,
                "oci:" + image.layout() + ":multi", "docker://localhost:" + server.port() + "/" + repo + ":1.0");
        // an SBOM referring to the index, and a second tag pushed later, over the API with the same token
        String token = http.token("erin", pat, "repository:" + repo + ":pull,push");
        List<TestImages.Blob> sbom = TestImages.sbomFor(image.index());
        http.pushBlob(repo, token, sbom.get(0));
        http.pushBlob(repo, token, sbom.get(1));
        http.pushManifest(repo, token, sbom.get(2).digest(), sbom.get(2));
        http.pushManifest(repo, token, "amd64-only", image.manifests().get("amd64"));

        // a pull (skopeo reads the index, then this machine's platform: two manifest GETs), counted
        skopeo("copy", "--src-tls-verify=false", "--src-creds", "erin:" + pat,
                "docker://localhost:" + server.port() + "/" + repo + ":1.0", "oci:" + work.resolve("pulled") + ":x");
        server.flushPullCounts();
        // a second repository, which the search below must leave out
        String other = "erin/other";
        String otherToken = http.token("erin", pat, "repository:" + other + ":pull,push");
        for (TestImages.Blob b : List.of(image.configs().get("amd64"), image.layers().get(0), image.layers().get(1))) {
            http.pushBlob(other, otherToken, b);
        }
        http.pushManifest(other, otherToken, "v1", image.manifests().get("amd64"));

        browser.open("/", "#repos li");
        // (other tests' public repositories may be listed too: the server is shared)
        browser.waitUntil("both repositories", d -> texts(browser.all("#repos li a")).containsAll(List.of(repo, other)));
        browser.assertAccessible("repositories");
        browser.screenshot("repositories");
        // search is the server's: a substring of the name
        browser.type("#q", "mult");
        browser.waitUntil("only names with mult", d -> texts(browser.all("#repos li a")).equals(List.of(repo)));
        browser.type("#q", "no-such-name");
        browser.waitFor("#no-repos");

        browser.open("/r/" + repo, "#tags tbody tr");
        browser.waitUntil("both tags", d -> d.findElements(By.cssSelector("#tags tbody tr")).size() == 2);
        assertThat(texts(browser.all("#tags tbody tr td:first-child"))).containsExactly("1.0", "amd64-only");
        assertThat(browser.find("#tags").getText()).contains("OCI index", "OCI manifest",
                image.index().digest().substring(0, 19));
        assertThat(browser.find("#pull-command").getText()).isEqualTo("docker pull localhost:" + server.port() + "/"
                + repo + ":1.0");
        browser.click("#sort-pushed");
        browser.waitUntil("newest first", d -> texts(browser.all("#tags tbody tr td:first-child"))
                .equals(List.of("amd64-only", "1.0")));
        browser.click("#sort-name");
        browser.waitUntil("by name", d -> texts(browser.all("#tags tbody tr td:first-child")).equals(List.of("1.0", "amd64-only")));
        assertThat(browser.find("#storage").getText()).endsWith("KiB");
        // today's pulls, in the figure and as a bar of the chart
        browser.waitUntil("the pulls counted", d -> !browser.find("#pulls").getText().equals("–"));
        assertThat(Integer.parseInt(browser.find("#pulls").getText())).isPositive();
        assertThat(browser.all("figure.chart rect.bar")).anySatisfy(bar ->
                assertThat(Double.parseDouble(bar.getAttribute("height"))).isPositive());
        browser.type("#tag-filter", "amd");
        browser.waitUntil("the tags with amd", d -> texts(browser.all("#tags tbody tr td:first-child")).equals(List.of("amd64-only")));
        browser.find("#tag-filter").clear();
        browser.find("#tag-filter").sendKeys(" ");
        browser.waitUntil("both tags again", d -> browser.all("#tags tbody tr").size() == 2);
        browser.assertAccessible("repository");
        browser.screenshot("repository");

        // the index: its platforms and the SBOM that refers to it
        browser.driver.findElement(By.linkText("1.0")).click();
        browser.waitForUrl("/r/" + repo + "/-/tags/1.0");
        browser.waitFor("#platforms tbody tr");
        assertThat(texts(browser.all("#platforms tbody tr td:first-child"))).containsExactly("linux/amd64", "linux/arm64");
        assertThat(browser.find("#digest").getText()).isEqualTo(image.index().digest());
        assertThat(browser.waitForText("#referrers", TestImages.SBOM_TYPE)).contains(sbom.get(2).digest().substring(0, 19));
        browser.assertAccessible("index");
        browser.screenshot("index");

        // one platform's image: config and layers with their sizes
        browser.driver.findElement(By.linkText(image.manifests().get("amd64").digest().substring(0, 19))).click();
        browser.waitFor("#layers tbody tr");
        assertThat(browser.all("#layers tbody tr")).hasSize(2);
        assertThat(browser.find("#layers").getText()).contains(image.layers().get(0).digest().substring(0, 19));
        assertThat(browser.find("#config").getText()).contains("2026-11-01 12:00 UTC", "linux/amd64", "[\"/bin/app\"]",
                "[\"--serve\"]");
        assertThat(browser.find("#labels").getText()).contains("org.opencontainers.image.title", "webapp-test");
        assertThat(browser.find("#manifest-facts").getText()).contains("amd64-only");
        browser.assertAccessible("manifest");
        browser.screenshot("manifest");

        // the SBOM's own page names what it refers to
        browser.open("/r/" + repo + "/-/manifests/" + sbom.get(2).digest(), "#manifest-facts");
        assertThat(browser.find("#manifest-facts").getText()).contains(TestImages.SBOM_TYPE, image.index().digest());

        // delete a tag from the repository page
        browser.open("/r/" + repo, "#tags tbody tr");
        browser.acceptNextConfirm();
        browser.click("button[aria-label='Delete tag amd64-only']");
        browser.waitForText("#repo-notice", "deleted");
        browser.waitUntil("one tag left", d -> texts(browser.all("#tags tbody tr td:first-child")).equals(List.of("1.0")));
        assertThat(http.send("GET", "/v2/" + repo + "/manifests/amd64-only", null, "Authorization", "Bearer " + token)
                .statusCode()).isEqualTo(404);

        // delete a manifest (the SBOM) from its page: the index has no referrer left
        browser.open("/r/" + repo + "/-/manifests/" + sbom.get(2).digest(), "#delete-manifest");
        browser.acceptNextConfirm();
        browser.click("#delete-manifest");
        browser.waitForUrl("/r/" + repo);
        browser.open("/r/" + repo + "/-/tags/1.0", "#no-referrers");
        assertThat(http.send("GET", "/v2/" + repo + "/manifests/" + sbom.get(2).digest(), null,
                "Authorization", "Bearer " + token).statusCode()).isEqualTo(404);
    }

    @Test
    void aPublicRepositoryIsPulledAnonymouslyAndAnotherUsersPrivateOneNeverShows() {
        http.signUp("grace", "grace password 1");
        TestImages.Image image = TestImages.multiArch(work.resolve("layout"), "multi");
        String graceToken = http.token("grace", "grace password 1", "repository:grace/secret-app:pull,push");
        for (TestImages.Blob b : List.of(image.configs().get("amd64"), image.layers().get(0), image.layers().get(1))) {
            http.pushBlob("grace/secret-app", graceToken, b);
        }
        http.pushManifest("grace/secret-app", graceToken, "1", image.manifests().get("amd64"));

        signUp("frank");
        String pat = createToken("push");
        String ref = "docker://localhost:" + server.port() + "/frank/app:1";
        skopeo("copy", "--all", "--dest-tls-verify=false", "--dest-creds", "frank:" + pat,
                "oci:" + image.layout() + ":multi", ref);
        browser.open("/", "#repos li");
        browser.waitForText("#repos", "frank/app");
        assertThat(browser.find("#repos").getText()).doesNotContain("grace");
        browser.type("#q", "secret");
        browser.waitFor("#no-repos");
        browser.open("/r/grace/secret-app", "#repo-missing");
        assertThat(browser.all("#tags tbody tr")).isEmpty();
        browser.open("/r/grace/secret-app/-/tags/1", "#manifest-missing");

        // private: no anonymous pull; made public on its page: anyone pulls it
        Path out = work.resolve("pulled");
        assertThat(skopeoExit("copy", "--src-tls-verify=false", "--src-no-creds", ref, "oci:" + out + ":x")).isNotZero();
        browser.open("/r/frank/app", "#visibility-select");
        assertThat(browser.find("#visibility").getText()).isEqualTo("private");
        new org.openqa.selenium.support.ui.Select(browser.find("#visibility-select")).selectByValue("public");
        browser.click("#save-visibility");
        browser.waitForText("#visibility", "public");
        // a direct grant to another account from the same page
        browser.type("#grant-user", "grace");
        browser.find("#grant-user").submit();
        browser.waitForText("main", "grace may now read frank/app");
        assertThat(browser.waitForText("main table", "grace")).contains("read");
        browser.assertAccessible("repository settings");
        skopeo("copy", "--all", "--src-tls-verify=false", "--src-no-creds", ref, "oci:" + out + ":x");

        // signed out: the public repository is listed and browsable, read-only; grace's is not there
        browser.driver.manage().deleteAllCookies();
        browser.open("/", "#repos li");
        browser.waitForText("#repos", "frank/app");
        assertThat(browser.find("#repos").getText()).doesNotContain("grace");
        browser.open("/r/frank/app", "#tags tbody tr");
        // the repository's own answer (with what the caller may do) is in once its badge shows
        browser.waitFor("#visibility");
        assertThat(browser.all("#visibility-select")).isEmpty();
        assertThat(browser.all("button.danger")).isEmpty();
        browser.assertAccessible("repository, anonymous");
    }

    @Test
    void aRepositoryPageWithAThousandTagsRendersThemAll() {
        http.signUp("perf", "perf password 1");
        TestImages.Image image = TestImages.multiArch(work.resolve("layout"), "multi");
        String token = http.token("perf", "perf password 1", "repository:perf/many:pull,push");
        for (TestImages.Blob b : List.of(image.configs().get("amd64"), image.layers().get(0), image.layers().get(1))) {
            http.pushBlob("perf/many", token, b);
        }
        // pushed out of name order (7 and 1000 are coprime: every tag once), so that push order
        // and name order differ: the last push is v1.0996, the last name v1.0999
        for (int i = 0; i < 1000; i++) {
            http.pushManifest("perf/many", token, String.format("v1.%04d", (i * 7 + 3) % 1000), image.manifests().get("amd64"));
        }
        browser.open("/signin", "#signin-password");
        browser.type("#username", "perf").type("#password", "perf password 1").click("#signin-password");
        browser.waitForText("header nav", "perf");
        // time to first render, measured inside the page (ms since navigation start): the shell's
        // first paint, the tags' answer, and the frame after all 1,000 rows are in the DOM
        List<Map<String, Object>> runs = new ArrayList<>();
        for (int run = 0; run < 5; run++) {
            browser.driver.get(browser.base + "/r/perf/many?n=1000");
            @SuppressWarnings("unchecked")
            Map<String, Object> t = (Map<String, Object>) browser.asyncScript("const done = arguments[arguments.length - 1];"
                    + "(function poll() { if (document.querySelectorAll('#tags tbody tr').length === 1000)"
                    + "  requestAnimationFrame(() => setTimeout(() => {"
                    + "    const r = performance.getEntriesByType('resource').find(e => e.name.includes('/-/tags?'));"
                    + "    const fcp = performance.getEntriesByName('first-contentful-paint')[0];"
                    + "    done({rows: performance.now(), fcp: fcp ? fcp.startTime : -1, tagsStart: r ? r.startTime : -1,"
                    + "          tagsEnd: r ? r.responseEnd : -1, tagsBytes: r ? r.encodedBodySize : -1}); }, 0));"
                    + " else setTimeout(poll, 5); })();");
            runs.add(t);
        }
        assertThat(browser.all("#tags tbody tr")).hasSize(1000);
        assertThat(browser.find("#tags tbody tr td").getText()).isEqualTo("v1.0000");
        browser.assertAccessible("repository with 1,000 tags");
        // the default page is 100 tags; Next and Previous page through them
        browser.open("/r/perf/many", "#tags tbody tr");
        browser.waitUntil("a page of 100", d -> browser.all("#tags tbody tr").size() == 100);
        browser.click("#tags-next");
        browser.waitForText("#tags tbody tr td", "v1.0100");
        browser.click("#tags-previous");
        browser.waitForText("#tags tbody tr td", "v1.0000");
        assertThat(browser.find("#tags-page").getText()).isEqualTo("Page 1");
        browser.click("#sort-pushed");
        browser.waitUntil("newest first", d -> browser.find("#tags tbody tr td").getText().equals("v1.0996"));
        String figures = runs.stream().map(Object::toString).collect(Collectors.joining("\n"))
                + "\nmedian ms to 1,000 rows painted: " + median(runs, "rows")
                + "\nmedian ms to first contentful paint: " + median(runs, "fcp")
                + "\nmedian ms to the tags' answer: " + median(runs, "tagsEnd") + "\n";
        System.out.println("repository page with 1,000 tags:\n" + figures);
        writeFigure("repository-1000-tags.txt", figures);
    }

    @Test
    void withoutAccessControlEveryoneBrowsesAndNobodySignsIn() {
        try (RegistryServer open = RegistryServer.start(RegistryServer.Backend.H2, null, null)) {
            RegistryHttp anon = new RegistryHttp("http://localhost:" + open.port(), "openregistry");
            TestImages.Image image = TestImages.multiArch(work.resolve("layout"), "multi");
            for (TestImages.Blob b : List.of(image.configs().get("arm64"), image.layers().get(0), image.layers().get(2))) {
                anon.pushBlob("open/app", null, b);
            }
            anon.pushManifest("open/app", null, "v1", image.manifests().get("arm64"));
            String base = "http://localhost:" + open.port();
            browser.open(base + "/", "#repos li");
            browser.waitForText("#repos", "open/app");
            assertThat(browser.find("header nav").getText()).doesNotContain("Sign in", "Sign up", "Sign out");
            browser.assertAccessible("repositories, no access control");
            browser.open(base + "/r/open/app", "#tags tbody tr");
            assertThat(browser.find("#tags").getText()).contains("v1");
            browser.open(base + "/signin", "h1");
            browser.waitForText("main", "without access control");
        }
    }

    @Test
    void thePolicyIsEnforcedAndUnsafeRequestsNeedTheCsrfToken() {
        signUp("mallory");
        browser.open("/", "#q");
        // an injected inline script does not run, and the browser says why
        browser.script("const s = document.createElement('script'); s.textContent = 'window.__injected = 1';"
                + " document.body.append(s);");
        assertThat(browser.script("return window.__injected === undefined;")).isEqualTo(true);
        browser.waitUntil("a CSP report on the console", d -> !browser.cspViolations().isEmpty());
        assertThat(browser.cspViolations()).anyMatch(l -> l.contains("script-src"));
        browser.forgetConsole();
        // the session cookie alone does not make a change: the CSRF token must come along
        Object denied = browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "fetch('/api/v1/orgs', {method: 'POST', headers: {'content-type': 'application/json'},"
                + " body: JSON.stringify({name: 'sneaky'})}).then(r => r.text().then(t => done(r.status + ' ' + t)));");
        assertThat((String) denied).startsWith("403").contains("CSRF");
        Object allowed = browser.asyncScript("const done = arguments[arguments.length - 1];"
                + "fetch('/auth/session').then(r => r.json()).then(s => fetch('/api/v1/orgs', {method: 'POST',"
                + " headers: {'content-type': 'application/json', 'x-csrf-token': s.csrf_token},"
                + " body: JSON.stringify({name: 'sneaky'})})).then(r => done(r.status));");
        assertThat(((Number) allowed).intValue()).isEqualTo(201);
    }

    @Test
    void aSessionEndedElsewhereLeavesAPlainVisitor() {
        signUp("henry");
        org.openqa.selenium.Cookie session = browser.driver.manage().getCookieNamed("openregistry_session");
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualTo("Strict");
        browser.newAuthenticator();
        browser.click("#signout");
        browser.waitFor("#signin-passkey");
        // the cookie of the ended session comes back (another tab kept it): the pages read as signed out
        browser.driver.manage().addCookie(new org.openqa.selenium.Cookie("openregistry_session", session.getValue(), "/"));
        browser.open("/", "#q");
        browser.waitForText("main", "Public repositories");
        browser.waitFor("#repos");
        assertThat(browser.all("main [role=alert]")).isEmpty();
        assertThat(browser.find("header nav").getText()).contains("Sign in").doesNotContain("henry");
    }

    // ------------------------------------------------------------------------------------------

    /** Signs up {@code username} with a passkey from the sign-up page; ends on the account page. */
    private static void signUp(String username) {
        browser.open("/signup", "#signup-username");
        browser.type("#signup-username", username).click("#signup");
        browser.waitForUrl("/account");
        browser.waitForText("#account-name", username);
    }

    /** Creates a personal access token on the account page and returns its secret (shown once). */
    static String createToken(String name) {
        browser.open("/account", "#create-token");
        browser.type("#token-name", name).click("#create-token");
        String token = browser.waitForText("#new-token", "orpat_").strip();
        browser.waitForText("#tokens", name);
        return token;
    }

    static String skopeo(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("skopeo finished").isTrue();
            assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out).isZero();
            return out;
        } catch (IOException e) {
            throw new AssertionError("skopeo: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static int skopeoExit(String... args) {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("skopeo finished").isTrue();
            return p.exitValue();
        } catch (IOException e) {
            throw new AssertionError("skopeo: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static double median(List<Map<String, Object>> runs, String key) {
        double[] v = runs.stream().mapToDouble(r -> ((Number) r.get(key)).doubleValue()).sorted().toArray();
        return Math.round(v[v.length / 2]);
    }

    static List<String> texts(List<WebElement> elements) {
        return elements.stream().map(WebElement::getText).collect(Collectors.toList());
    }

    static void writeFigure(String name, String text) {
        try {
            Files.createDirectories(Browser.SCREENSHOTS);
            Files.writeString(Browser.SCREENSHOTS.resolve(name), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

}
