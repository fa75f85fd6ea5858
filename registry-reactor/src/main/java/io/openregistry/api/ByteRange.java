package io.openregistry.api;

import io.openregistry.oci.OciError;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A single {@code Range: bytes=...} request over a blob of known size (RFC 9110). Multiple ranges
 * and malformed headers are ignored (the whole blob is served), as the RFC allows.
 */
record ByteRange(long start, long end) {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d{0,18})-(\\d{0,18})");

    /** @return the range to serve, or null for the whole blob; throws 416 when unsatisfiable */
    static ByteRange parse(String header, long size) {
        if (header == null) {
            return null;
        }
        Matcher m = SINGLE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return null;
        }
        long start;
        long end;
        if (m.group(1).isEmpty()) {
            long suffix = Long.parseLong(m.group(2));
            if (suffix == 0) {
                throw unsatisfiable(size);
            }
            start = Math.max(0, size - suffix);
            end = size - 1;
        } else {
            start = Long.parseLong(m.group(1));
            end = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
            if (m.group(2).length() > 0 && Long.parseLong(m.group(2)) < start) {
                return null;
            }
        }
        if (start >= size) {
            throw unsatisfiable(size);
        }
        return new ByteRange(start, end);
    }

    long length() {
        return end - start + 1;
    }

    private static RuntimeException unsatisfiable(long size) {
        return OciError.RANGE_INVALID.exception("requested range not satisfiable for a blob of " + size + " bytes")
                .withHeader("Content-Range", "bytes */" + size);
    }
}
