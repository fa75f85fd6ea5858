package io.openregistry.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strict conversions between secrets and bytes. The JDK's {@code String.getBytes} and
 * {@code new String(bytes)} replace what they cannot convert (a lone UTF-16 surrogate becomes
 * {@code ?}, a malformed byte U+FFFD), so different inputs would turn into the same password:
 * here anything that is not valid Unicode is refused instead.
 */
public final class Text {
    private Text() {
    }

    /** Whether {@code s} is well-formed UTF-16: every surrogate is half of a pair. */
    public static boolean isValidUnicode(String s) {
        if (s == null) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** The UTF-8 bytes of {@code s}; IllegalArgumentException when it is not valid Unicode. */
    public static byte[] utf8(String s) {
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = Arrays.copyOfRange(encoded.array(), encoded.position(), encoded.limit());
            // the encoder's buffer held the secret too
            Arrays.fill(encoded.array(), (byte) 0);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("not valid Unicode");
        }
    }

    /** {@code bytes} decoded as UTF-8, or null when they are not valid UTF-8. */
    public static String decodeUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
