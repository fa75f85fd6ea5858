package io.openregistry.leaks;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leak check can fail: a buffer dropped without release is reported by the recording detector
 * (then forgotten here, so this deliberate leak does not fail the build).
 */
class LeakDetectionSelfTest {
    @Test
    void aDroppedBufferIsReported() {
        assertThat(RecordingLeakDetector.installed()).as("-Dio.netty.customResourceLeakDetector in the surefire argLine")
                .isTrue();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        LeakCheck.collect(); // whatever came before is not this test's business
        leak();
        List<String> reports = LeakCheck.collect();
        assertThat(reports).anySatisfy(r -> assertThat(r).startsWith("LEAK: ByteBuf.release() was not called")
                .contains("LeakDetectionSelfTest.leak"));
    }

    /** A buffer written to and then dropped: the report's records name this method. */
    private static void leak() {
        ByteBuf lost = PooledByteBufAllocator.DEFAULT.directBuffer(64);
        lost.writeLong(42);
        lost.touch("LeakDetectionSelfTest.leak");
    }
}
