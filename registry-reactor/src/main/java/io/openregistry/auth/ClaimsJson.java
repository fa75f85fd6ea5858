package io.openregistry.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON form of {@link AccessClaims} and of the footer. Written by hand over the tree model rather
 * than by data binding: the wire names differ from the record's, times are PASETO's ISO 8601
 * strings (no java.time module needed), and every malformed input maps to one rejection.
 */
final class ClaimsJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ClaimsJson() {}

    static byte[] write(AccessClaims claims) {
        ObjectNode root = MAPPER.createObjectNode()
                .put("iss", claims.issuer())
                .put("sub", claims.subject())
                .put("aud", claims.audience())
                .put("iat", claims.issuedAt().toString())
                .put("nbf", claims.notBefore().toString())
                .put("exp", claims.expiresAt().toString())
                .put("jti", claims.tokenId());
        ArrayNode access = root.putArray("access");
        for (AccessClaims.Access grant : claims.access()) {
            ObjectNode entry = access.addObject().put("type", grant.type()).put("name", grant.name());
            ArrayNode actions = entry.putArray("actions");
            grant.actions().forEach(actions::add);
        }
        if (claims.admin()) {
            root.put("adm", true);
        }
        try {
            return MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise claims", e);
        }
    }

    static AccessClaims read(byte[] json) {
        JsonNode root = tree(json);
        List<AccessClaims.Access> access = new ArrayList<>();
        JsonNode grants = root.get("access");
        if (grants != null && !grants.isNull()) {
            if (!grants.isArray()) {
                throw malformed();
            }
            for (JsonNode grant : grants) {
                List<String> actions = new ArrayList<>();
                JsonNode list = grant.get("actions");
                if (list == null || !list.isArray()) {
                    throw malformed();
                }
                for (JsonNode action : list) {
                    actions.add(text(action));
                }
                access.add(new AccessClaims.Access(text(grant.get("type")), text(grant.get("name")), actions));
            }
        }
        JsonNode admin = root.get("adm");
        if (admin != null && !admin.isBoolean()) {
            throw malformed();
        }
        return new AccessClaims(text(root.get("iss")), text(root.get("sub")), text(root.get("aud")),
                time(root.get("iat")), time(root.get("nbf")), time(root.get("exp")),
                text(root.get("jti")), access, admin != null && admin.booleanValue());
    }

    static byte[] footer(String kid) {
        return MAPPER.createObjectNode().put("kid", kid).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The key id of a footer; anything but {@code {"kid":"<valid id>"}} is rejected. */
    static String kid(byte[] footer) {
        JsonNode root = tree(footer);
        if (root.size() != 1) {
            throw new InvalidTokenException("unexpected footer");
        }
        String kid = text(root.get("kid"));
        if (!KeyRing.KID.matcher(kid).matches()) {
            throw new InvalidTokenException("unexpected footer");
        }
        return kid;
    }

    private static JsonNode tree(byte[] json) {
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root == null || !root.isObject()) {
                throw malformed();
            }
            return root;
        } catch (IOException e) {
            throw malformed();
        }
    }

    private static String text(JsonNode node) {
        if (node == null || !node.isTextual()) {
            throw malformed();
        }
        return node.textValue();
    }

    private static Instant time(JsonNode node) {
        try {
            // other PASETO issuers write offsets such as +00:00; accept any offset
            return OffsetDateTime.parse(text(node)).toInstant();
        } catch (DateTimeParseException e) {
            throw malformed();
        }
    }

    private static InvalidTokenException malformed() {
        return new InvalidTokenException("malformed claims");
    }
}
