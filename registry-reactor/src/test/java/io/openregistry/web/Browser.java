package io.openregistry.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.openqa.selenium.virtualauthenticator.HasVirtualAuthenticator;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticator;
import org.openqa.selenium.virtualauthenticator.VirtualAuthenticatorOptions;

/**
 * Debian's headless Chromium driven through its chromedriver (never Selenium Manager: no
 * downloads), with a CDP virtual authenticator standing in for a platform passkey provider
 * (CTAP2, internal, resident keys, user verification). Pages are addressed as
 * {@code http://localhost:<port>}: browsers refuse WebAuthn on an IP address.
 *
 * <p>Helpers wait for outcomes (an element, a text), never for time: the SPA renders after its
 * script loads, so {@code driver.get} returning says nothing about the page.
 */
final class Browser implements AutoCloseable {
    static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final Path AXE = Path.of("src", "main", "web", "node_modules", "axe-core", "axe.min.js");
    private static final Duration WAIT = Duration.ofSeconds(30);
    final ChromeDriver driver;
    final String base;
    private final Path profile;
    private final List<String> consoleLog = new ArrayList<>();
    private VirtualAuthenticator authenticator;

    Browser(int port) {
        this.base = "http://localhost:" + port;
        String chromium = System.getProperty("chromium.binary", "/usr/bin/chromium");
        String driverBinary = System.getProperty("chromedriver.binary", "/usr/bin/chromedriver");
        if (!Files.isExecutable(Path.of(chromium)) || !Files.isExecutable(Path.of(driverBinary))) {
            throw new IllegalStateException("the browser tests need Debian's chromium and chromium-driver ("
                    + chromium + ", " + driverBinary + "): apt-get install -y --no-install-recommends chromium "
                    + "chromium-driver (scripts/test does), or -Dchromium.binary=… -Dchromedriver.binary=…");
        }
        try {
            profile = Files.createTempDirectory("openregistry-chromium");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions o = new ChromeOptions();
        o.setBinary(chromium);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(Path.of(driverBinary).toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(service, o);
        driver.manage().timeouts().scriptTimeout(WAIT);
    }

    /** A fresh authenticator holding no passkeys (the previous one, if any, removed). */
    VirtualAuthenticator newAuthenticator() {
        HasVirtualAuthenticator h = driver;
        if (authenticator != null) {
            h.removeVirtualAuthenticator(authenticator);
        }
        authenticator = h.addVirtualAuthenticator(new VirtualAuthenticatorOptions()
                .setProtocol(VirtualAuthenticatorOptions.Protocol.CTAP2)
                .setTransport(VirtualAuthenticatorOptions.Transport.INTERNAL)
                .setHasResidentKey(true).setHasUserVerification(true)
                .setIsUserVerified(true).setIsUserConsenting(true));
        return authenticator;
    }

    /**
     * Makes the next documents behave like a browser without passkey autofill. Chromium's virtual
     * authenticator completes a conditional (autofill) request at once, with no user choosing, so
     * on the sign-in page it would race any click; flows that test the button turn it off.
     *
     * @return what {@link #restoreConditionalMediation} takes
     */
    String withoutConditionalMediation() {
        Map<String, Object> r = driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source",
                "if (window.PublicKeyCredential) PublicKeyCredential.isConditionalMediationAvailable = async () => false;"));
        return (String) r.get("identifier");
    }

    void restoreConditionalMediation(String identifier) {
        driver.executeCdpCommand("Page.removeScriptToEvaluateOnNewDocument", Map.of("identifier", identifier));
    }

    VirtualAuthenticator authenticator() {
        return authenticator;
    }

    /** Opens a page of the app and waits until {@code css} is on it. */
    Browser open(String path, String css) {
        driver.get(path.startsWith("http") ? path : base + path);
        return waitFor(css);
    }

    Browser waitFor(String css) {
        waitUntil("an element " + css, d -> !d.findElements(By.cssSelector(css)).isEmpty());
        return this;
    }

    /** Waits until the element's text contains {@code text}; returns the whole text. */
    String waitForText(String css, String text) {
        java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>();
        waitUntil("'" + text + "' in " + css, d -> d.findElements(By.cssSelector(css)).stream()
                .map(WebElement::getText).filter(t -> t.contains(text)).peek(seen::set).findFirst().isPresent());
        return seen.get();
    }

    void waitForUrl(String suffix) {
        waitUntil("a URL ending with " + suffix, d -> d.getCurrentUrl().endsWith(suffix));
    }

    void waitUntil(java.util.function.Function<ChromeDriver, Boolean> condition) {
        waitUntil("a condition", condition);
    }

    /** Waits for the condition; on timeout the failure says where the page was and what it showed. */
    void waitUntil(String what, java.util.function.Function<ChromeDriver, Boolean> condition) {
        try {
            // Svelte replaces elements as data arrives: an element read mid-update is tried again
            new WebDriverWait(driver, WAIT).ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                    .until(d -> condition.apply(driver));
        } catch (org.openqa.selenium.TimeoutException e) {
            String text;
            try {
                text = driver.findElement(By.tagName("main")).getText();
            } catch (RuntimeException none) {
                text = "(no main element)";
            }
            throw new AssertionError("waited " + WAIT.toSeconds() + " s for " + what + " at " + driver.getCurrentUrl()
                    + "\n--- page ---\n" + text + "\n--- console ---\n" + String.join("\n", console()), e);
        }
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    Browser click(String css) {
        find(css).click();
        return this;
    }

    Browser type(String css, String text) {
        WebElement e = find(css);
        e.clear();
        e.sendKeys(text);
        return this;
    }

    /** Accepts the confirm() dialog the next click opens (the app asks before deleting). */
    void acceptNextConfirm() {
        ((JavascriptExecutor) driver).executeScript("window.confirm = () => true;");
    }

    Object script(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(js, args);
    }

    Object asyncScript(String js, Object... args) {
        return ((JavascriptExecutor) driver).executeAsyncScript(js, args);
    }

    /**
     * Runs axe-core (the npm package of the web app's devDependencies, injected by WebDriver, which
     * the page's CSP does not govern) on the page and fails on any serious or critical violation.
     */
    @SuppressWarnings("unchecked")
    void assertAccessible(String page) {
        try {
            script(Files.readString(AXE));
        } catch (IOException e) {
            throw new UncheckedIOException("axe-core missing: run npm ci in src/main/web (" + AXE + ")", e);
        }
        Map<String, Object> r = (Map<String, Object>) asyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"
                + ".then(r => done({passes: r.passes.length, violations: r.violations.map(v => ({impact: v.impact, id: v.id,"
                + " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(' | ')}))}))"
                + ".catch(e => done({error: String(e)}));");
        assertThat(r.get("error")).as("axe on " + page).isNull();
        List<Map<String, Object>> violations = (List<Map<String, Object>>) r.get("violations");
        assertThat(violations.stream().filter(v -> "serious".equals(v.get("impact")) || "critical".equals(v.get("impact"))))
                .as("serious or critical accessibility violations on " + page)
                .isEmpty();
        assertThat(((Number) r.get("passes")).intValue()).as("axe rules passed on " + page).isGreaterThan(10);
    }

    void screenshot(String name) {
        script("window.scrollTo(0, 0); document.activeElement && document.activeElement.blur && document.activeElement.blur();");
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.copy(driver.getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOTS.resolve(name + ".png"),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every console line since the browser started (read, then kept here: a read drains the driver's buffer). */
    List<String> console() {
        for (LogEntry e : driver.manage().logs().get(LogType.BROWSER)) {
            consoleLog.add(e.getLevel() + " " + e.getMessage());
        }
        return List.copyOf(consoleLog);
    }

    /** Drops the console lines read so far (after a test that provoked a violation on purpose). */
    void forgetConsole() {
        console();
        consoleLog.clear();
    }

    /** Content-Security-Policy violations Chromium reported on the console so far. */
    List<String> cspViolations() {
        return console().stream().filter(l -> l.contains("Content Security Policy") || l.contains("Content-Security-Policy"))
                .toList();
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // a temporary profile left behind is harmless
            }
        }
    }
}
