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
