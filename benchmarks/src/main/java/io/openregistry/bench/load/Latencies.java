package io.openregistry.bench.load;

import java.util.Arrays;

/** Recorded operation latencies (nanoseconds) and their percentiles. Thread-safe by synchronization. */
final class Latencies {
    private long[] values = new long[1024];
    private int count;

    synchronized void add(long nanos) {
        if (count == values.length) {
            values = Arrays.copyOf(values, count * 2);
        }
        values[count++] = nanos;
    }

    synchronized int count() {
        return count;
    }

    /** The q-quantile in milliseconds (nearest rank), or 0 when empty. */
    synchronized double millis(double q) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(values, count);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(q * count) - 1;
        return sorted[Math.max(0, Math.min(count - 1, rank))] / 1e6;
    }
}
