package io.tally.server.http;

import io.tally.model.TallyException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

/**
 * Reads a request's whole body, bounded, and undoes its {@code Content-Encoding}; the route's
 * handler then takes the bytes with {@link #bytes}. Used instead of Vert.x's {@code BodyHandler}
 * and the server's own decompression, for three reasons:
 *
 * <ul>
 *   <li>the body is bytes whatever the {@code Content-Type}: {@code BodyHandler} parses an {@code
 *       application/x-www-form-urlencoded} body (what {@code curl -d} sends) as a form, refusing a
 *       JSON body over 1 KiB as a malformed one;
 *   <li>a body that is not what its {@code Content-Encoding} says, or ends before its compressed
 *       stream does, is refused as a whole with 400 (Vert.x closed the connection without an answer
 *       for the one and handed on what it had inflated for the other);
 *   <li>both the bytes received and the bytes decoded are held to the route's limit (413), and an
 *       unsupported coding is 415.
 * </ul>
 *
 * Codings: {@code identity}, {@code gzip} ({@code x-gzip}) and {@code deflate} (zlib), listed in
 * the order applied as HTTP says. A refusal fails the routing context with a {@link Refused}
 * carrying the status; the router's failure handler answers it. Stateless and thread-safe; a
 * request's callbacks run on its event loop.
 */
public final class RequestBody implements Handler<RoutingContext> {
  private static final String KEY = "tally.body";

  /**
   * The most a body's array is sized to up front from its {@code Content-Length}: a declared length
   * is only a claim, and a connection that declares much and sends nothing must not hold much.
   */
  public static final int PREALLOCATED_MAX = 1 << 20;

  private final long limitBytes;
  private final String advice;

  private RequestBody(long limitBytes, String advice) {
    this.limitBytes = limitBytes;
    this.advice = advice;
  }

  /** A handler reading bodies of at most {@code limitBytes}, received and decoded alike. */
  public static RequestBody limitedTo(long limitBytes) {
    return new RequestBody(limitBytes, "");
  }

  /** As {@link #limitedTo(long)}, with {@code advice} appended to the 413's message. */
  public static RequestBody limitedTo(long limitBytes, String advice) {
    return new RequestBody(limitBytes, "; " + advice);
  }

  /** The decoded body a preceding {@link RequestBody} read: empty when there was none. */
  public static byte[] bytes(RoutingContext ctx) {
    byte[] body = ctx.get(KEY);
    return body == null ? new byte[0] : body;
  }

  /** Why a body was refused; {@link #status()} is the answer's status. */
  public static final class Refused extends TallyException {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refused(int status, String message) {
      super(message);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (ctx.get(KEY) != null) { // read already, by an earlier handler of the same request
      ctx.next();
      return;
    }
    HttpServerRequest req = ctx.request();
    String[] codings;
    try {
      codings = codings(req.getHeader(HttpHeaders.CONTENT_ENCODING));
      if (declaredLength(req) > limitBytes) {
        throw tooLarge();
      }
    } catch (Refused r) {
      ctx.fail(r.status(), r);
      return;
    }
    if (req.isEnded()) {
      finish(ctx, new byte[0], codings);
      return;
    }
    if (req.version() != HttpVersion.HTTP_2
        && "100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
      ctx.response().writeContinue();
    }
    Reading reading = new Reading(declaredLength(req));
    req.handler(
        chunk -> {
          if (reading.refused) {
            return;
          }
          if (reading.length + (long) chunk.length() > limitBytes) {
            reading.refused = true;
            Refused r = tooLarge();
            ctx.fail(r.status(), r);
          } else {
            reading.append(chunk);
          }
        });
    req.exceptionHandler(ctx::fail);
    req.endHandler(
        v -> {
          if (!reading.refused) {
            finish(ctx, reading.bytes(), codings);
          }
        });
    req.resume();
  }

  /**
   * The bytes received so far, in an array sized to the declared {@code Content-Length} (up to
   * {@link #PREALLOCATED_MAX}), so a body that arrives as declared is copied once, from the
   * connection's chunks into the array the route's handler gets.
   */
  private static final class Reading {
    byte[] body;
    int length;
    boolean refused;

    Reading(long declaredLength) {
      body = new byte[(int) Math.max(0, Math.min(declaredLength, PREALLOCATED_MAX))];
    }

    void append(Buffer chunk) {
      int n = chunk.length();
      if (length + n > body.length) {
        body = Arrays.copyOf(body, Math.max(length + n, 2 * body.length));
      }
      chunk.getBytes(0, n, body, length);
      length += n;
    }

    byte[] bytes() {
      return length == body.length ? body : Arrays.copyOf(body, length);
    }
  }

  private void finish(RoutingContext ctx, byte[] received, String[] codings) {
    byte[] bytes = received;
    try {
      for (int i = codings.length - 1; i >= 0 && bytes.length > 0; i--) {
        bytes = decode(codings[i], bytes);
      }
    } catch (Refused r) {
      ctx.fail(r.status(), r);
      return;
    }
    ctx.put(KEY, bytes);
    ctx.next();
  }

  /** The codings named, in the order they were applied; identity left out. */
  private static String[] codings(String header) {
    if (header == null || header.isBlank()) {
      return new String[0];
    }
    List<String> codings = new ArrayList<>();
    for (String part : header.split(",")) {
      String c = part.trim().toLowerCase(Locale.ROOT);
      if (c.equals("gzip") || c.equals("x-gzip") || c.equals("deflate")) {
        codings.add(c);
      } else if (!c.isEmpty() && !c.equals("identity")) {
        throw new Refused(
            415,
            "Content-Encoding '"
                + header.trim()
                + "' is not supported; send the body as is, or with gzip or deflate");
      }
    }
    return codings.toArray(String[]::new);
  }

  private byte[] decode(String coding, byte[] encoded) {
    try (InputStream in =
        coding.equals("deflate")
            ? new InflaterInputStream(new ByteArrayInputStream(encoded))
            : new GZIPInputStream(new ByteArrayInputStream(encoded))) {
      ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length * 4);
      byte[] chunk = new byte[16 * 1024];
      for (int n; (n = in.read(chunk)) > 0; ) {
        if (out.size() + (long) n > limitBytes) {
          throw new Refused(
              413,
              "body larger than the limit of " + limitBytes + " bytes once decompressed" + advice);
        }
        out.write(chunk, 0, n);
      }
      return out.toByteArray();
    } catch (EOFException e) {
      throw new Refused(
          400,
          "the "
              + coding
              + " body ends early (truncated): nothing of it was accepted; send the whole body");
    } catch (IOException e) {
      throw new Refused(
          400,
          "the body is not valid "
              + coding
              + " (Content-Encoding: "
              + coding
              + "): "
              + e.getMessage());
    }
  }

  private static long declaredLength(HttpServerRequest req) {
    String h = req.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (h == null) {
      return -1;
    }
    try {
      return Long.parseLong(h.trim());
    } catch (NumberFormatException e) {
      return -1; // the HTTP codec refuses a bad length before a handler runs
    }
  }

  private Refused tooLarge() {
    return new Refused(413, "body larger than the limit of " + limitBytes + " bytes" + advice);
  }
}
