package io.tally.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import picocli.CommandLine.Option;

/**
 * The options every client command shares to reach a secured server: the API key and the CA file to
 * trust for {@code https} URLs. A picocli mixin; builds its HTTP client once per command. Not
 * thread-safe (a command runs on one thread).
 */
final class ClientOptions {
  @Option(
      names = "--key",
      defaultValue = "${env:TALLY_KEY}",
      description =
          "API key, sent as 'Authorization: Bearer <key>'. Default: the TALLY_KEY environment variable.")
  String key;

  @Option(
      names = "--ca-file",
      description =
          "PEM file of the certificate authority (or self-signed certificate) to trust for https URLs, "
              + "instead of the system's. Default: the system's.")
  Path caFile;

  private HttpClient client;

  /**
   * Options as if no flag was given: the key from {@code TALLY_KEY} (if set), the system's trust.
   */
  static ClientOptions fromEnvironment() {
    ClientOptions o = new ClientOptions();
    o.key = System.getenv("TALLY_KEY");
    return o;
  }

  /** The HTTP client: the system's trust, or only {@link #caFile}'s certificates when given. */
  HttpClient http() throws IOException {
    if (client == null) {
      HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
      if (caFile != null) {
        b.sslContext(trusting(caFile));
      }
      client = b.build();
    }
    return client;
  }

  /** Whether a key is given. */
  boolean hasKey() {
    return key != null && !key.isBlank();
  }

  /** Adds the key, if any. */
  HttpRequest.Builder authorize(HttpRequest.Builder request) {
    if (hasKey()) {
      request.header("Authorization", "Bearer " + key.trim());
    }
    return request;
  }

  /**
   * An SSL context trusting exactly the certificates in a PEM file.
   *
   * @throws IOException naming the file when it cannot be read or holds no certificate
   */
  static SSLContext trusting(Path pem) throws IOException {
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int n = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + n++, c);
      }
      if (n == 0) {
        throw new IOException("no certificate in " + pem);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot use " + pem + " as a CA file: " + e.getMessage(), e);
    }
  }
}
