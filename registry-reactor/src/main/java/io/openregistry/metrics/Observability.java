package io.openregistry.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The meter registry of one running registry: a Prometheus registry with the JVM and process
 * binders, also plugged into Micrometer's global composite for as long as it is open, because
 * Reactor Netty's HTTP server meters are recorded there and offer no way to pass a registry.
 */
public final class Observability implements AutoCloseable {
    private final PrometheusMeterRegistry prometheus;
    private final JvmGcMetrics gc;

    private Observability(PrometheusMeterRegistry prometheus, JvmGcMetrics gc) {
        this.prometheus = prometheus;
        this.gc = gc;
    }

    /** Creates the registry, binds the JVM/process meters and joins the global composite. */
    public static Observability start() {
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(prometheus);
        Metrics.addRegistry(prometheus);
        return new Observability(prometheus, gc);
    }

    /** Where the registry's own meters ({@link Meters}) are registered. */
    public MeterRegistry meters() {
        return prometheus;
    }

    public PrometheusMeterRegistry prometheus() {
        return prometheus;
    }

    /** Leaves the global composite (another registry in this JVM keeps its own) and stops the GC listener. */
    @Override
    public void close() {
        Metrics.removeRegistry(prometheus);
        gc.close();
        prometheus.close();
    }
}
