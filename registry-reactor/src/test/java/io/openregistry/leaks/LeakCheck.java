package io.openregistry.leaks;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty reported a buffer leak while it ran (the leak detector is
 * {@link RecordingLeakDetector}, at paranoid level, for the whole run). Registered for every
 * class by JUnit's extension auto-detection ({@code junit-platform.properties} and
 * {@code META-INF/services}). Leaks show only once the garbage collector has found the lost
 * buffer and Netty next tracks an allocation, so this collects garbage and allocates a little
 * before looking. A leak is blamed on the class during which it was found, which is usually,
 * not always, the class that caused it (a shared registry outlives its first class); its report
 * names the places that touched the buffer.
 */
public final class LeakCheck implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " Netty buffer leak(s) reported while "
                    + context.getDisplayName() + " ran:\n" + String.join("\n\n", leaks));
        }
    }

    /** Makes the detector look for lost buffers now; returns (and forgets) what it reported. */
    static List<String> collect() {
        for (int round = 0; round < 3; round++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            // each tracked allocation drains the detector's queue of collected, unreleased buffers
            for (int i = 0; i < 8; i++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                pooled.release();
                ByteBuf heap = Unpooled.buffer(16);
                heap.release();
            }
        }
        return RecordingLeakDetector.takeReports();
    }
}
