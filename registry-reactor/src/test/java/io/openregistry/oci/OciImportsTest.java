package io.openregistry.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The dependency directions of the design notes, read from the sources: {@code oci} (the spec as
 * types) depends on no other package of the project, and the content handlers in {@code api} speak
 * to services, never to the metadata stores or the storage backends.
 */
class OciImportsTest {
    private static final Path MAIN = Path.of("src/main/java/io/openregistry");
    private static final Pattern PROJECT_PACKAGE = Pattern.compile("io\\.openregistry\\.([a-z0-9_]+)");

    @Test
    void ociDependsOnNothingElseInTheProject() throws IOException {
        try (Stream<Path> files = Files.list(MAIN.resolve("oci"))) {
            List<String> found = new ArrayList<>();
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                found.addAll(projectPackages(file).stream().filter(p -> !p.equals("oci"))
                        .map(p -> file.getFileName() + " uses io.openregistry." + p).toList());
            }
            assertThat(found).isEmpty();
        }
    }

    @Test
    void contentHandlersSpeakOnlyToServices() throws IOException {
        List<String> found = new ArrayList<>();
        for (String handler : new String[] {"ListingHandlers", "ManifestHandlers", "ReferrersHandler", "BaseHandler"}) {
            Path file = MAIN.resolve("api/" + handler + ".java");
            assertThat(file).exists();
            found.addAll(projectPackages(file).stream().filter(p -> p.equals("metadata") || p.equals("storage"))
                    .map(p -> handler + " uses io.openregistry." + p).toList());
        }
        assertThat(found).isEmpty();
    }

    /** The project packages a source file's code names (imports and qualified names), its own excepted. */
    private static List<String> projectPackages(Path file) throws IOException {
        String text = Files.readString(file).replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "")
                .replaceFirst("package [^;]+;", "");
        List<String> packages = new ArrayList<>();
        Matcher m = PROJECT_PACKAGE.matcher(text);
        while (m.find()) {
            String p = m.group(1);
            // a class directly in io.openregistry (Registry, Main) starts with a capital and is not matched
            if (!packages.contains(p)) {
                packages.add(p);
            }
        }
        return packages;
    }
}
