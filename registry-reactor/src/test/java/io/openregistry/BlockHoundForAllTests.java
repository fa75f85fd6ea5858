package io.openregistry;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Installs BlockHound when the test JVM's launcher session opens, before any test runs. Installed
 * later, by whichever test class first asked for it, BlockHound met Reactor threads and tasks that
 * earlier classes had started without it, and the suite's outcome depended on the order of its
 * classes: a class run first without it left the H2 metadata contract after it hanging on its
 * first awaits. Tests still call {@link RegistryServer#installBlockHound()}, which does nothing
 * once this ran (and makes them work when run outside the build, e.g. from an IDE).
 *
 * <p>Only where surefire asks for it ({@value #PROPERTY}{@code =session}, set in the module's pom
 * beside the JVM flag BlockHound's agent needs): the failsafe JVM of the {@code *IT} tests, whose
 * registries run in child processes, has neither and never installs BlockHound.
 */
public final class BlockHoundForAllTests implements LauncherSessionListener {
    static final String PROPERTY = "openregistry.test.blockhound";

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if ("session".equals(System.getProperty(PROPERTY))) {
            RegistryServer.installBlockHound();
        }
    }
}
