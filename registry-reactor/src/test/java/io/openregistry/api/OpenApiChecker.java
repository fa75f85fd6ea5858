package io.openregistry.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The served OpenAPI document of {@code /api/v1}, parsed by swagger-parser (a real OpenAPI 3.1
 * parser), and the check of real answers against it: the status must be documented for the
 * operation, and a JSON body must validate against the documented schema (JSON Schema 2020-12,
 * by the networknt validator, {@code $ref}s resolved inside the document).
 */
final class OpenApiChecker {
    final String text;
    final JsonNode document;
    final SwaggerParseResult parsed;
    private final SchemaRegistry schemas = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private final Map<String, Schema> compiled = new ConcurrentHashMap<>();

    OpenApiChecker(String text) {
        this.text = text;
        try {
            this.document = Oci.JSON.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("the document is not JSON", e);
        }
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        this.parsed = new OpenAPIV3Parser().readContents(text, null, options);
    }

    OpenAPI openApi() {
        return parsed.getOpenAPI();
    }

    /** The path item of a template, or a missing node. */
    JsonNode pathItem(String template) {
        return document.path("paths").path(template);
    }

    /**
     * Asserts the answer to {@code method template} is documented: its status among the
     * operation's responses, and its body valid against the documented schema (or empty for a
     * response documented without content).
     */
    void assertDocumented(String method, String template, HttpResponse<byte[]> response) {
        String what = method + " " + template + " → " + response.statusCode() + " "
                + new String(response.body(), StandardCharsets.UTF_8);
        JsonNode operation = pathItem(template).path(method.toLowerCase(Locale.ROOT));
        assertThat(operation.isObject()).as("operation documented: " + what).isTrue();
        JsonNode documented = operation.path("responses").path(String.valueOf(response.statusCode()));
        assertThat(documented.isObject()).as("status documented: " + what).isTrue();
        documented = resolve(documented);
        JsonNode schema = documented.path("content").path("application/json").path("schema");
        if (schema.isMissingNode()) {
            assertThat(response.body()).as("no body documented: " + what).isEmpty();
            return;
        }
        assertThat(response.headers().firstValue("Content-Type")).as(what).hasValue("application/json");
        JsonNode body;
        try {
            body = Oci.JSON.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + what, e);
        }
        List<Error> errors = schema(schema).validate(body);
        assertThat(errors).as("the body against its documented schema: " + what).isEmpty();
    }

    /** The validation errors of {@code body} against the component schema {@code name} (to show the check can fail). */
    List<Error> errorsAgainst(String name, JsonNode body) {
        return schema(Oci.JSON.createObjectNode().put("$ref", "#/components/schemas/" + name)).validate(body);
    }

    /** A {@code $ref} to {@code #/components/...} followed once. */
    JsonNode resolve(JsonNode node) {
        JsonNode ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        String pointer = ref.asText();
        assertThat(pointer).startsWith("#/");
        return document.at(pointer.substring(1));
    }

    /** The schema as a standalone 2020-12 schema whose {@code $ref}s reach into this document's components. */
    private Schema schema(JsonNode schema) {
        return compiled.computeIfAbsent(schema.toString(), key -> {
            ObjectNode root = Oci.JSON.createObjectNode();
            root.put("$schema", "https://json-schema.org/draft/2020-12/schema");
            root.putArray("allOf").add(schema);
            root.set("components", document.path("components"));
            return schemas.getSchema(root);
        });
    }

    /** The HTTP methods documented for a path template, upper case. */
    java.util.Set<String> methods(String template) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Iterator<String> names = pathItem(template).fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (List.of("get", "put", "post", "delete", "patch", "head", "options").contains(name)) {
                out.add(name.toUpperCase(Locale.ROOT));
            }
        }
        return out;
    }
}
