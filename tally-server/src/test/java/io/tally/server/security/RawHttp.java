package io.tally.server.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/**
 * Sends exactly the bytes given, framing included, over a fresh connection, and reads the status of
 * the answer: what a hostile client can do that well-behaved HTTP clients refuse to.
 */
final class RawHttp {
  private RawHttp() {}

  /** The answer: its status (-1 if the server closed without one) and body. */
  record Answer(int status, String body) {}

  static Answer exchange(int port, byte[] request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(30_000);
      try {
        s.getOutputStream().write(request);
        s.getOutputStream().flush();
      } catch (SocketException e) {
        // the server may close early (e.g. after a 413 or a bad request line): read what it said
      }
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      try {
        in.transferTo(all);
      } catch (SocketException e) {
        // reset after the answer
      }
      String text = all.toString(StandardCharsets.ISO_8859_1);
      if (!text.startsWith("HTTP/1.") || text.length() < 12) {
        return new Answer(-1, text);
      }
      int bodyAt = text.indexOf("\r\n\r\n");
      return new Answer(
          Integer.parseInt(text.substring(9, 12)), bodyAt < 0 ? "" : text.substring(bodyAt + 4));
    }
  }

  /** A request with a correct Content-Length for {@code body}, closing the connection after. */
  static byte[] request(
      String method, String target, String contentType, String authorization, byte[] body) {
    StringBuilder head =
        new StringBuilder(method)
            .append(' ')
            .append(target)
            .append(" HTTP/1.1\r\nHost: fuzz\r\n")
            .append("Connection: close\r\n");
    if (contentType != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (authorization != null) {
      head.append("Authorization: ").append(authorization).append("\r\n");
    }
    head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[h.length + body.length];
    System.arraycopy(h, 0, all, 0, h.length);
    System.arraycopy(body, 0, all, h.length, body.length);
    return all;
  }
}
