package io.openregistry.api;

import io.openregistry.oci.OciError;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single {@code Range: bytes=...} request over a blob of known size (RFC 9110 §14.1.2, §14.2).
 * A header that is not a valid single byte range (malformed, another unit, several ranges, a last
 * position before the first) is ignored and the whole blob served, as the RFC allows. A valid
 * range that selects nothing of the blob is a 416 with {@code Content-Range: bytes *}{@code /<size>}.
 *
 * <p>Positions are parsed exactly: a number too large for a {@code long} is still a number, and
 * larger than any blob (so a first position of 2^63 is unsatisfiable, and a last position or a
 * suffix length that large reaches the end of the blob).
 */
record ByteRange(long start, long end) {
    private static final Pattern SINGLE = Pattern.compile("bytes=[ \\t]*(\\d*)-(\\d*)[ \\t]*");
    /** Stands for a position too large for a long: beyond the end of every blob. */
    private static final long HUGE = Long.MAX_VALUE;

    /** @return the range to serve, or null for the whole blob; throws 416 when unsatisfiable */
    static ByteRange parse(String header, long size) {
        if (header == null) {
            return null;
        }
        // the range unit is case-insensitive
        Matcher m = SINGLE.matcher(header.strip().toLowerCase(Locale.ROOT));
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return null;
        }
        if (m.group(1).isEmpty()) {
            long suffix = number(m.group(2));
            if (suffix == 0 || size == 0) {
                throw unsatisfiable(size);
            }
            return new ByteRange(Math.max(0, size - suffix), size - 1);
        }
        long first = number(m.group(1));
        long last = m.group(2).isEmpty() ? HUGE : number(m.group(2));
        if (last < first) {
            return null; // invalid, not unsatisfiable: ignored
        }
        if (first >= size) {
            throw unsatisfiable(size);
        }
        return new ByteRange(first, Math.min(last, size - 1));
    }

    long length() {
        return end - start + 1;
    }

    /** A run of ASCII digits as a long, {@link #HUGE} when it does not fit. */
    private static long number(String digits) {
        long n = 0;
        for (int i = 0; i < digits.length(); i++) {
            int d = digits.charAt(i) - '0';
            if (n > (HUGE - d) / 10) {
                return HUGE;
            }
            n = n * 10 + d;
        }
        return n;
    }

    private static RuntimeException unsatisfiable(long size) {
        return OciError.RANGE_INVALID.exception("requested range not satisfiable for a blob of " + size + " bytes")
                .withHeader("Content-Range", "bytes */" + size);
    }
}
