package io.openregistry.leaks;

import java.util.List;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * The last look for Netty buffer leaks, once every test class and the shared registries (closed
 * with JUnit's root store) are done: what {@link LeakCheck} could not see yet. No test is left to
 * fail, so a leak found here ends the test JVM with a non-zero status after printing the reports,
 * which fails the surefire run ("The forked VM terminated without properly saying goodbye").
 */
public final class LeakCheckAtSessionEnd implements LauncherSessionListener {
    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (!RecordingLeakDetector.installed()) {
            return; // run outside the build (an IDE): nothing recorded
        }
        List<String> leaks = LeakCheck.collect();
        if (!leaks.isEmpty()) {
            System.err.println(leaks.size() + " Netty buffer leak(s) reported at the end of the test run:\n"
                    + String.join("\n\n", leaks));
            System.err.flush();
            Runtime.getRuntime().halt(3);
        }
    }
}
