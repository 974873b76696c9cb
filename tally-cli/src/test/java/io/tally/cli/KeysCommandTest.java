package io.tally.cli;

import static io.tally.server.config.ConfigKeys.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.tally.server.EmbeddedTally;
import io.tally.server.ServerConfig;
import io.tally.server.config.EffectiveConfig;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tally keys} end to end: the first admin key made in a stopped data dir, more keys made and
 * revoked through the running server, used by {@code total} and {@code send} with {@code --key},
 * over HTTPS with {@code --ca-file}.
 */
class KeysCommandTest {
  @TempDir Path dir;

  private record Run(int code, String out, String err) {}

  private static synchronized Run tally(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int code = TallyCommand.commandLine().execute(args);
      return new Run(
          code,
          o.toString(StandardCharsets.UTF_8).trim(),
          e.toString(StandardCharsets.UTF_8).trim());
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void keysAreMadeOfflineThenManagedThroughTheServerOverHttps() throws Exception {
    Path data = dir.resolve("data");
    Run root =
        tally(
            "keys", "create", "--data-dir", data.toString(), "--name", "root", "--scope", "admin");
    assertThat(root.code()).as(root.err()).isZero();
    assertThat(root.out()).startsWith("tly_sk_");
    assertThat(tally("keys", "list", "--data-dir", data.toString()).out())
        .contains("root")
        .doesNotContain(root.out());

    Path[] pem = certificate(dir);
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, data)
            .with(SERVER_PORT, 0)
            .with(SERVER_HOST, "0.0.0.0")
            .with(SECURITY_TLS_CERT, pem[0])
            .with(SECURITY_TLS_KEY, pem[1])
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      String url = "https://127.0.0.1:" + tally.port();
      String ca = pem[0].toString();
      Run writer =
          tally(
              "keys",
              "create",
              "--url",
              url,
              "--ca-file",
              ca,
              "--key",
              root.out(),
              "--name",
              "writer",
              "--scope",
              "ingest,query");
      assertThat(writer.code()).as(writer.err()).isZero();
      String key = writer.out();
      assertThat(
              tally(
                      "send",
                      "--url",
                      url,
                      "--ca-file",
                      ca,
                      "--key",
                      key,
                      "--entity",
                      "cli:1",
                      "--type",
                      "view",
                      "--count",
                      "3")
                  .code())
          .isZero();
      Run denied =
          tally("total", "--url", url, "--ca-file", ca, "--entity", "cli:1", "--type", "view");
      assertThat(denied.code()).isEqualTo(1);
      assertThat(denied.err()).contains("HTTP 401");
      Run total =
          tally(
              "total",
              "--url",
              url,
              "--ca-file",
              ca,
              "--key",
              key,
              "--entity",
              "cli:1",
              "--type",
              "view");
      assertThat(total.code()).as(total.err()).isZero();

      Run list = tally("keys", "list", "--url", url, "--ca-file", ca, "--key", root.out());
      assertThat(list.out()).contains("\"writer\"").doesNotContain(key);
      String id = key.substring(7, 19);
      assertThat(
              tally("keys", "revoke", id, "--url", url, "--ca-file", ca, "--key", root.out())
                  .code())
          .isZero();
      assertThat(
              tally(
                      "total",
                      "--url",
                      url,
                      "--ca-file",
                      ca,
                      "--key",
                      key,
                      "--entity",
                      "cli:1",
                      "--type",
                      "view")
                  .err())
          .contains("HTTP 401")
          .contains("revoked");
    }
  }

  @Test
  void aBadScopeIsAUsageError() {
    Run r =
        tally(
            "keys",
            "create",
            "--data-dir",
            dir.resolve("d").toString(),
            "--name",
            "x",
            "--scope",
            "root");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown scope 'root'");
  }

  @Test
  void aRunningServersDataDirIsRefusedSayingToStopItOrUseUrl() throws Exception {
    Path data = dir.resolve("data");
    Run root =
        tally(
            "keys", "create", "--data-dir", data.toString(), "--name", "root", "--scope", "admin");
    assertThat(root.code()).as(root.err()).isZero();
    try (EmbeddedTally tally =
        EmbeddedTally.start(
            EffectiveConfig.defaults()
                .with(STORAGE_DATA_DIR, data)
                .with(SERVER_PORT, 0)
                .server())) {
      assertThat(tally.port()).isPositive();
      String expected =
          "tally keys: the data dir "
              + data
              + " is in use by a running server: stop the server first, or manage keys through it"
              + " with --url and an admin --key";
      Run create =
          tally("keys", "create", "--data-dir", data.toString(), "--name", "x", "--scope", "query");
      assertThat(create.code()).isEqualTo(1);
      assertThat(create.err()).isEqualTo(expected);
      Run list = tally("keys", "list", "--data-dir", data.toString());
      assertThat(list.code()).isEqualTo(1);
      assertThat(list.err()).isEqualTo(expected);
    }
  }

  @Test
  void anUntrustedServerCertificateIsOneLineNamingCaFile() throws Exception {
    Path[] pem = certificate(dir);
    ServerConfig config =
        EffectiveConfig.defaults()
            .with(STORAGE_DATA_DIR, dir.resolve("data"))
            .with(SERVER_PORT, 0)
            .with(SECURITY_TLS_CERT, pem[0])
            .with(SECURITY_TLS_KEY, pem[1])
            .server();
    try (EmbeddedTally tally = EmbeddedTally.start(config)) {
      String url = "https://127.0.0.1:" + tally.port();
      Run total = tally("total", "--url", url, "--entity", "cli:1", "--type", "view");
      assertThat(total.code()).isEqualTo(1);
      assertThat(total.err())
          .hasLineCount(1)
          .startsWith("tally: TLS handshake with the server failed (")
          .contains("with --ca-file FILE")
          .doesNotContain("Exception");
      Run keys = tally("keys", "list", "--url", url, "--key", "tly_sk_x");
      assertThat(keys.code()).isEqualTo(1);
      assertThat(keys.err()).hasLineCount(1).contains("--ca-file");
    }
  }

  @Test
  void eachKeysCommandSaysWhatDataDirDoesForIt() {
    assertThat(tally("keys", "create", "--help").out().replaceAll("\\s+", " "))
        .contains("creates the key there, with no --key (how the first admin key is made)");
    assertThat(tally("keys", "list", "--help").out().replaceAll("\\s+", " "))
        .contains("--data-dir=DIR The data dir of a stopped embedded server: lists its keys")
        .doesNotContain("first admin key");
    assertThat(tally("keys", "revoke", "--help").out().replaceAll("\\s+", " "))
        .contains("revokes the key there, with no --key")
        .doesNotContain("first admin key");
  }

  /** A self-signed certificate for 127.0.0.1 made by keytool, as PEM files: {cert, key}. */
  private static Path[] certificate(Path dir) throws Exception {
    Path p12 = dir.resolve("s.p12");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "t",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                p12.toString(),
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).isTrue();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(p12)) {
      ks.load(in, "changeit".toCharArray());
    }
    Base64.Encoder b64 = Base64.getMimeEncoder(64, new byte[] {'\n'});
    Path cert =
        Files.writeString(
            dir.resolve("cert.pem"),
            "-----BEGIN CERTIFICATE-----\n"
                + b64.encodeToString(ks.getCertificate("t").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
    Path key =
        Files.writeString(
            dir.resolve("key.pem"),
            "-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(ks.getKey("t", "changeit".toCharArray()).getEncoded())
                + "\n-----END PRIVATE KEY-----\n");
    return new Path[] {cert, key};
  }
}
