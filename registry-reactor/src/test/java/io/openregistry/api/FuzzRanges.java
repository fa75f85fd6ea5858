package io.openregistry.api;

import static io.openregistry.api.FuzzGen.number;
import static io.openregistry.api.FuzzGen.pick;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Generators of {@code Range} (blob GET) and {@code Content-Range} (chunk PATCH) headers, and chunked bodies. */
final class FuzzRanges {
    private FuzzRanges() {
    }

    /** A {@code Range} header value for a blob of {@code size} bytes. */
    static String header(Random r, long size) {
        return switch (r.nextInt(12)) {
            case 0, 1, 2 -> "bytes=" + number(r, size) + "-" + number(r, size);
            case 3 -> "bytes=" + number(r, size) + "-";
            case 4 -> "bytes=-" + number(r, size);
            case 5 -> "bytes=" + r.nextInt((int) size) + "-" + (r.nextInt((int) size) + r.nextInt(3) * size);
            case 6 -> {
                StringBuilder sb = new StringBuilder("bytes=");
                int n = 2 + r.nextInt(3);
                for (int i = 0; i < n; i++) {
                    sb.append(i > 0 ? pick(r, ",", ", ", " ,") : "").append(number(r, size)).append('-').append(number(r, size));
                }
                yield sb.toString();
            }
            case 7 -> pick(r, "BYTES=0-5", "Bytes=1-2", "items=0-5", "bytes 0-5", "bytes=0-5;x", "bytes==0-5",
                    "bytes=0--5", "bytes=--5", "bytes=0-5-", "bytes=5", "bytes=-", "bytes=", "bytes", "=0-5", "",
                    "bytes=a-b", "bytes=0x0-0x5", "bytes=1.5-2", "none", "*");
            case 8 -> pick(r, " bytes=0-5", "bytes= 0-5", "bytes=0 -5", "bytes=0- 5", "bytes=0-5 ", "bytes =0-5",
                    "bytes=\t0-5", "bytes=0-5,");
            case 9 -> pick(r, "bytes=9223372036854775807-", "bytes=9223372036854775806-", "bytes=9223372036854775808-",
                    "bytes=-9223372036854775807", "bytes=-9223372036854775808", "bytes=0-9223372036854775807",
                    "bytes=" + size + "-", "bytes=" + (size - 1) + "-", "bytes=-0", "bytes=0-0", "bytes=-" + size);
            case 10 -> "bytes=" + number(r, size) + "-" + number(r, size) + "," + "0-0";
            default -> "bytes=" + r.nextInt((int) size) + "-";
        };
    }

    /**
     * A {@code Content-Range} for a chunk of {@code n} bytes sent to an upload at {@code offset};
     * {@code valid}: TRUE when the chunk must be appended, FALSE when it must be refused, null
     * when either is acceptable.
     */
    record Chunk(String header, String kind, Boolean valid, boolean chunkedEncoding) {
    }

    private static final Pattern FORM = Pattern.compile("(?:bytes[ =])?([0-9]+)-([0-9]+)(?:/([0-9]+|\\*))?");

    static Chunk chunk(Random r, long offset, int n) {
        long end = offset + n - 1;
        if (n == 0) {
            return pick(r, new Chunk(null, "absent, empty chunk", true, false),
                    new Chunk(offset + "-" + (offset - 1), "empty range", false, false),
                    new Chunk(offset + "-" + offset, "one byte for none", false, false));
        }
        return switch (r.nextInt(10)) {
            case 0 -> new Chunk(offset + "-" + end, "exact", true, false);
            case 1 -> new Chunk(pick(r, "bytes ", "bytes=") + offset + "-" + end + pick(r, "", "/*", "/" + (end + 1)),
                    "exact, RFC 9110 form", true, false);
            case 2 -> {
                long start = offset + pick(r, 1L, 5L, 1000L, offset > 0 ? -1L : 2L);
                yield new Chunk(start + "-" + (start + n - 1), "wrong start", false, false);
            }
            case 3 -> new Chunk(offset + "-" + (end + pick(r, 1, 2, 100, n > 1 ? -1 : 3)), "wrong length", false, false);
            case 4 -> new Chunk((end + 1) + "-" + offset, "reversed", false, false);
            case 5, 6 -> {
                String h = number(r, offset + 1) + "-" + number(r, end + 1);
                yield new Chunk(h, "generated numbers", judge(h, offset, n), false);
            }
            case 7 -> new Chunk(pick(r, "", "-", "0-", "-5", "a-b", "0-5,6-7", "bytes", "bytes */10", "0 - 5", "0-5/",
                    "0-5/x", "*", "bytes=" + offset + "-", "0x0-0x5", "١-٥"), "garbage", false, false);
            case 8 -> new Chunk(offset + "-" + end, "exact, chunked body", true, true);
            default -> new Chunk(null, r.nextBoolean() ? "absent" : "absent, chunked body", true, r.nextBoolean());
        };
    }

    /** Whether a generated header must be accepted (TRUE), refused (FALSE), or either (numbers beyond 18 digits). */
    private static Boolean judge(String header, long offset, int n) {
        Matcher m = FORM.matcher(header);
        if (!m.matches()) {
            return false;
        }
        if (m.group(1).length() > 18 || m.group(2).length() > 18) {
            return null;
        }
        BigInteger start = new BigInteger(m.group(1));
        BigInteger end = new BigInteger(m.group(2));
        return start.equals(BigInteger.valueOf(offset)) && end.subtract(start).add(BigInteger.ONE).equals(BigInteger.valueOf(n));
    }

    /** {@code body} in the chunked transfer coding, cut at random, with odd but valid chunk-size lines. */
    static byte[] chunkedEncoding(Random r, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int at = 0;
        while (at < body.length) {
            int size = 1 + r.nextInt(Math.min(body.length - at, 1 + r.nextInt(64)));
            String hex = Integer.toHexString(size);
            hex = r.nextBoolean() ? hex.toUpperCase() : hex;
            hex = r.nextInt(5) == 0 ? "000" + hex : hex;
            String ext = r.nextInt(5) == 0 ? ";name=value" : "";
            out.writeBytes((hex + ext + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body, at, size);
            out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            at += size;
        }
        out.writeBytes((r.nextInt(5) == 0 ? "0\r\nX-Trailer: x\r\n\r\n" : "0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
