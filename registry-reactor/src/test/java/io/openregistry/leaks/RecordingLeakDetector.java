package io.openregistry.leaks;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;

/**
 * Netty's leak detector, recording every leak it reports (besides logging it as {@code LEAK: ...}
 * at ERROR as usual) so that the test run can fail on it. Installed for the whole surefire run by
 * {@code -Dio.netty.customResourceLeakDetector} in the pom, with
 * {@code -Dio.netty.leakDetection.level=paranoid} so that every buffer is tracked.
 */
public final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {
    private static final List<String> REPORTS = new ArrayList<>();

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    @SuppressWarnings("deprecation") // the factory may still call the obsolete constructor
    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    /** Whether Netty loaded this class as its leak detector (the pom's system property). */
    static boolean installed() {
        return io.netty.util.ResourceLeakDetectorFactory.instance()
                .newResourceLeakDetector(Object.class) instanceof RecordingLeakDetector;
    }

    /** The leaks reported since the last call, and forgets them. */
    static synchronized List<String> takeReports() {
        List<String> taken = new ArrayList<>(REPORTS);
        REPORTS.clear();
        return taken;
    }

    private static synchronized void record(String report) {
        REPORTS.add(report);
    }

    @Override
    protected boolean needReport() {
        return true; // even with the error log off: the record is what fails the build
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        record("LEAK: " + resourceType + ".release() was not called before it was garbage-collected"
                + " (no access records at this level)");
        super.reportUntracedLeak(resourceType);
    }
}
