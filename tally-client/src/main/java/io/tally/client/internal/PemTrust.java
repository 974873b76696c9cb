package io.tally.client.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the TLS trust of a client given a CA file: an {@link SSLContext} that trusts exactly the
 * X.509 certificates of one PEM file (a private CA, or a server's self-signed certificate) and
 * nothing of the JDK's default trust store. Host names are still verified against the certificate.
 * Stateless and thread-safe.
 */
public final class PemTrust {
  private PemTrust() {}

  /**
   * @throws IllegalArgumentException naming the file when it cannot be read, is not PEM/DER X.509,
   *     or holds no certificate
   */
  public static SSLContext trusting(Path pemFile) {
    KeyStore trust;
    try (InputStream in = Files.newInputStream(pemFile)) {
      trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      int n = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca-" + n++, c);
      }
      if (n == 0) {
        throw new IllegalArgumentException("CA file " + pemFile + " holds no certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read CA file " + pemFile + ": " + e, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "cannot use " + pemFile + " as a CA file (PEM certificates expected): " + e.getMessage(),
          e);
    }
  }
}
