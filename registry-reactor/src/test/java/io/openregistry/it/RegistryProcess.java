package io.openregistry.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged registry jar running in a child JVM on a free loopback port. */
final class RegistryProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on [^ ]+:(\\d+) ");
    private static final Pattern ADMIN = Pattern.compile("admin listener .* on [^ ]+:(\\d+)");
    private final Process process;
    private final int port;
    private final int adminPort;
    private final List<String> output;
    private final Thread reader;

    private RegistryProcess(Process process, int port, int adminPort, List<String> output, Thread reader) {
        this.process = process;
        this.reader = reader;
        this.port = port;
        this.adminPort = adminPort;
        this.output = output;
    }

    static RegistryProcess start(Path dataDir, String... jvmArgs) throws Exception {
        return start(dataDir, Map.of(), jvmArgs);
    }

    /** @param config extra {@code OPENREGISTRY_*} variables */
    static RegistryProcess start(Path dataDir, Map<String, String> config, String... jvmArgs) throws Exception {
        String jar = System.getProperty("registry.jar", "target/openregistry.jar");
        if (!Files.isRegularFile(Path.of(jar))) {
            throw new IllegalStateException("registry jar not built: " + jar);
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // the suite's leak detection reaches the registry processes too: close() fails on a report
        cmd.add("-Dio.netty.leakDetection.level=paranoid");
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-jar", jar));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("OPENREGISTRY_"));
        env.put("OPENREGISTRY_HTTP_ADDR", "127.0.0.1:0");
        env.put("OPENREGISTRY_ADMIN_ADDR", "127.0.0.1:0");
        env.put("OPENREGISTRY_STORAGE_ROOT", dataDir.toString());
        env.putAll(config);
        Process p = pb.start();
        List<String> output = java.util.Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Integer> port = new CompletableFuture<>();
        CompletableFuture<Integer> adminPort = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (output) {
                        output.add(line);
                        output.notifyAll();
                    }
                    System.out.println("[registry] " + line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                    Matcher a = ADMIN.matcher(line);
                    if (a.find()) {
                        adminPort.complete(Integer.parseInt(a.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
            port.completeExceptionally(new IllegalStateException("registry exited before listening: " + output));
            adminPort.completeExceptionally(new IllegalStateException("registry exited before listening: " + output));
        }, "registry-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new RegistryProcess(p, port.get(60, TimeUnit.SECONDS), adminPort.get(60, TimeUnit.SECONDS), output,
                    reader);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
    }

    int port() {
        return port;
    }

    int adminPort() {
        return adminPort;
    }

    /**
     * Sends SIGTERM and returns at once. Through the {@link ProcessHandle}: {@link Process#destroy()}
     * sends the same signal but also closes our end of the process's output, losing its shutdown log.
     */
    void terminate() {
        process.toHandle().destroy();
    }

    /** The exit status, or null if the process is still running after {@code seconds}. */
    Integer awaitExit(long seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS) ? process.exitValue() : null;
    }

    /**
     * Blocks until a line of the registry's output contains {@code text}; false when the output
     * ends or {@code seconds} pass first. The reader thread notifies on the list after each line.
     */
    boolean awaitOutput(String text, long seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        synchronized (output) {
            while (output.stream().noneMatch(l -> l.contains(text))) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !reader.isAlive()) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(output, Math.min(left, TimeUnit.SECONDS.toNanos(1)));
            }
            return true;
        }
    }

    /** {@code kill -9}: SIGKILL, no shutdown of any kind; returns once the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    List<String> output() {
        return List.copyOf(output);
    }

    /** A line of /proc/PID/status in KiB, e.g. VmHWM (peak resident set) or VmRSS. */
    long procStatusKib(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(pid()), "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " in /proc status");
    }

    /** Stops the process; fails when Netty's leak detector reported a buffer leak in its output. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        process.waitFor(20, TimeUnit.SECONDS);
        reader.join(TimeUnit.SECONDS.toMillis(5));
        List<String> leaks = output().stream().filter(l -> l.contains("LEAK:")).toList();
        if (!leaks.isEmpty()) {
            throw new AssertionError("the registry process reported buffer leaks: " + leaks);
        }
    }
}
