package io.openregistry.upload;

import io.openregistry.oci.OciError;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code Content-Range} of a chunk upload: {@code <start>-<end>}, both inclusive. The spec's
 * form has no unit; the RFC 9110 form {@code bytes <start>-<end>/<total|*>} is accepted as well.
 */
record ChunkRange(long start, long end) {
    private static final Pattern FORM = Pattern.compile("(?:bytes[ =])?(\\d{1,18})-(\\d{1,18})(?:/(?:\\d{1,18}|\\*))?");

    /** @return the range, or null when the header is absent */
    static ChunkRange parse(String header) {
        if (header == null) {
            return null;
        }
        Matcher m = FORM.matcher(header.trim());
        if (!m.matches()) {
            throw OciError.BLOB_UPLOAD_INVALID.exception("malformed Content-Range: " + header);
        }
        long start = Long.parseLong(m.group(1));
        long end = Long.parseLong(m.group(2));
        if (end < start) {
            throw OciError.RANGE_INVALID.exception("Content-Range end before start: " + header);
        }
        return new ChunkRange(start, end);
    }

    long length() {
        return end - start + 1;
    }
}
