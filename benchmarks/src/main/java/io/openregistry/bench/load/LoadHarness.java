package io.openregistry.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs one load scenario against any registry URL and prints its figures as one JSON line.
 *
 * <pre>java -cp benchmarks.jar io.openregistry.bench.load.LoadHarness --url http://127.0.0.1:5000 --scenario S3 [--quick] [--run ID]</pre>
 *
 * {@code --run} names the repositories ({@code bench-<run>/...}) so that runs do not collide.
 * {@code --url} given more than once names replicas of one registry: each request then goes to
 * the next one in turn (a push hopping replicas on every request).
 */
public final class LoadHarness {
    private LoadHarness() {
    }

    public static void main(String[] args) throws Exception {
        java.util.List<String> urls = new java.util.ArrayList<>();
        String scenario = null;
        boolean quick = false;
        String run = Long.toString(System.currentTimeMillis(), 36);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> urls.add(args[++i]);
                case "--scenario" -> scenario = args[++i].toUpperCase();
                case "--quick" -> quick = true;
                case "--run" -> run = args[++i];
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (urls.isEmpty() || scenario == null) {
            usage("--url and --scenario are required");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", scenario);
        out.put("url", String.join(" ", urls));
        out.put("quick", quick);
        long t0 = System.nanoTime();
        try (OciClient client = new OciClient(urls, 256)) {
            Scenarios s = new Scenarios(client, quick, run.toLowerCase());
            Map<String, Object> figures = switch (scenario) {
                case "S1" -> s.s1();
                case "S2" -> s.s2();
                case "S3" -> s.s3();
                case "S4" -> s.s4();
                case "S5" -> s.s5();
                case "S6" -> s.s6();
                case "P1" -> s.p1();
                default -> {
                    usage("unknown scenario " + scenario + " (S1..S6, P1)");
                    yield Map.of();
                }
            };
            out.put("ok", true);
            out.putAll(figures);
        } catch (RuntimeException e) {
            out.put("ok", false);
            out.put("error", String.valueOf(e.getMessage()));
        }
        out.put("elapsed_s", (System.nanoTime() - t0) / 1e9);
        System.out.println(new ObjectMapper().writeValueAsString(out));
        System.exit(Boolean.TRUE.equals(out.get("ok")) ? 0 : 1);
    }

    private static void usage(String problem) {
        System.err.println("load harness: " + problem
                + "\nusage: LoadHarness --url URL [--url REPLICA...] --scenario S1|S2|S3|S4|S5|S6|P1 [--quick] [--run ID]");
        System.exit(2);
    }
}
