package io.openregistry.api;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A raw HTTP/1.1 client for the fuzz properties: it sends exactly the bytes it is given (no
 * client-side validation of the request line or headers) and reads exactly one response, so a
 * hang, a reset or a truncated response shows as such instead of being retried or repaired.
 * Each exchange has a connection of its own; after the response a probe request on the same
 * connection checks that the server left it in a usable state (no leftover bytes of a body it
 * did not read, no body after a HEAD response).
 */
final class FuzzHttp {
    /** A hang is a failure: no read may wait longer than this (generous: the machine may be busy; the server's own read timeout is 60 s). */
    static final int READ_TIMEOUT_MS = 30_000;
    private static final int MAX_HEAD_BYTES = 64 * 1024;
    private final int port;
    private final int probeStatus;

    /** @param probeStatus the status {@code GET /v2/} answers on this registry (200 open, 401 with access control) */
    FuzzHttp(int port, int probeStatus) {
        this.port = port;
        this.probeStatus = probeStatus;
    }

    int port() {
        return port;
    }

    /** One response as read off the wire. */
    record Response(String statusLine, int status, List<String[]> headers, byte[] body) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }

        int count(String name) {
            int n = 0;
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    n++;
                }
            }
            return n;
        }

        boolean closes() {
            String c = header("Connection");
            return c != null && c.toLowerCase(Locale.ROOT).contains("close");
        }

        String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        String describe() {
            StringBuilder sb = new StringBuilder(statusLine);
            for (String[] h : headers) {
                sb.append(" | ").append(h[0]).append(": ").append(h[1]);
            }
            String text = bodyText();
            text = text.length() > 400 ? text.substring(0, 400) + "…" : text;
            return sb.append(" || ").append(text.chars().allMatch(c -> c >= 0x20 && c != 0xfffd || c == '\n')
                    ? text : "(" + body.length + " bytes, binary)").toString();
        }
    }

    /**
     * The result of an exchange: the response, or {@code failure} saying why there is none
     * (timeout, reset, truncated), plus {@code afterwards}: a problem with the connection after a
     * complete response, or null.
     */
    record Outcome(Response response, String failure, String afterwards) {
    }

    /**
     * Sends {@code request} on a fresh connection and reads one response.
     *
     * @param head  whether the request is a HEAD (its response has no body, whatever its Content-Length)
     * @param probe whether to check the connection afterwards with {@code GET /v2/} (off when the
     *              request deliberately carries more bytes than it declares)
     */
    Outcome exchange(byte[] request, boolean head, boolean probe) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MS);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            // A reset instead of an orderly close: no TIME_WAIT per exchange on the client side,
            // which thousands of exchanges a run would otherwise pile up.
            socket.setSoLinger(true, 0);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            Response response;
            try {
                response = read(in, head);
            } catch (SocketTimeoutException e) {
                return new Outcome(null, "timeout: no complete response within " + READ_TIMEOUT_MS + " ms", null);
            } catch (IOException e) {
                return new Outcome(null, "connection broken before a complete response: " + e, null);
            }
            return new Outcome(response, null, afterwards(socket, in, response, probe));
        } catch (IOException e) {
            return new Outcome(null, "connection failed: " + e, null);
        }
    }

    private String afterwards(Socket socket, InputStream in, Response response, boolean probe) {
        try {
            if (response.closes()) {
                // the server said it closes: nothing but the end of the stream may follow
                try {
                    return in.read() < 0 ? null : "bytes after a response that announced Connection: close";
                } catch (IOException e) {
                    return null; // a reset after a complete response that announced the close
                }
            }
            if (!probe) {
                return null;
            }
            socket.getOutputStream().write(("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            Response next = read(in, false);
            return next.status() == probeStatus ? null
                    : "the connection's next request (GET /v2/) got: " + next.describe();
        } catch (SocketTimeoutException e) {
            return "the connection's next request (GET /v2/) got no answer within " + READ_TIMEOUT_MS + " ms";
        } catch (IOException e) {
            return "the connection's next request (GET /v2/) failed: " + e;
        }
    }

    /** Reads one final response (skipping 1xx interim ones). */
    static Response read(InputStream in, boolean head) throws IOException {
        while (true) {
            String statusLine = line(in);
            if (statusLine == null) {
                throw new IOException("connection closed before a status line");
            }
            if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12) {
                throw new IOException("not a status line: " + statusLine);
            }
            int status = Integer.parseInt(statusLine.substring(9, 12));
            List<String[]> headers = new ArrayList<>();
            int headBytes = statusLine.length();
            for (String l = line(in); ; l = line(in)) {
                if (l == null) {
                    throw new IOException("connection closed inside the response head");
                }
                if (l.isEmpty()) {
                    break;
                }
                headBytes += l.length();
                if (headBytes > MAX_HEAD_BYTES) {
                    throw new IOException("response head over " + MAX_HEAD_BYTES + " bytes");
                }
                int colon = l.indexOf(':');
                if (colon <= 0) {
                    throw new IOException("malformed header line: " + l);
                }
                headers.add(new String[] {l.substring(0, colon).trim(), l.substring(colon + 1).trim()});
            }
            if (status >= 100 && status < 200) {
                continue;
            }
            Response shell = new Response(statusLine, status, headers, new byte[0]);
            if (head || status == 204 || status == 304) {
                return shell;
            }
            String te = shell.header("Transfer-Encoding");
            byte[] body;
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                body = chunked(in);
            } else if (shell.header("Content-Length") != null) {
                long length = Long.parseLong(shell.header("Content-Length"));
                if (shell.count("Content-Length") != 1 || length < 0 || length > 64L * 1024 * 1024) {
                    throw new IOException("unusable Content-Length in response");
                }
                body = in.readNBytes((int) length);
                if (body.length != length) {
                    throw new IOException("response body " + body.length + " bytes, Content-Length " + length);
                }
            } else {
                body = in.readAllBytes(); // delimited by the end of the connection
            }
            return new Response(statusLine, status, headers, body);
        }
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            String sizeLine = line(in);
            if (sizeLine == null) {
                throw new IOException("connection closed inside a chunked body");
            }
            int semi = sizeLine.indexOf(';');
            int size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            if (size == 0) {
                for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
                    // trailers
                }
                return out.toByteArray();
            }
            byte[] chunk = in.readNBytes(size);
            if (chunk.length != size) {
                throw new IOException("chunk shorter than announced");
            }
            out.writeBytes(chunk);
            if (!"".equals(line(in))) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
    }

    /** A CRLF-terminated line as ISO-8859-1, or null at the end of the stream before any byte. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                return sb.length() == 0 ? null : sb.toString();
            }
            if (b == '\n') {
                int n = sb.length();
                return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
            }
            if (sb.length() > MAX_HEAD_BYTES) {
                throw new IOException("response line too long");
            }
            sb.append((char) b);
        }
    }
}
