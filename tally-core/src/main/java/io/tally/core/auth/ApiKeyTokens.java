package io.tally.core.auth;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The token format and its hash: the one place keys are made and checked.
 *
 * <pre>
 * tly_sk_3f9a0c21d4e7_Vb8…43 chars…   a secret key
 * tly_pk_8d02b1f0aa39_Qe1…43 chars…   a publishable (browser) key
 *        └ id: 6 random bytes, hex ─┘└ secret: 32 random bytes, base64url ┘
 * </pre>
 *
 * <p>The id is not secret: it names the stored record (and appears in logs and the audit log). The
 * store keeps only {@code SHA-256(whole token)}. A fast hash is the right tool here because the
 * secret is 256 random bits: slow password hashes (bcrypt, Argon2) exist to make guessing
 * low-entropy passwords expensive, and there is nothing to guess in a uniformly random 256-bit
 * value, while a fast hash keeps checking a key per request cheap (about a microsecond). Hashes are
 * compared with {@link MessageDigest#isEqual}, which takes the same time wherever they differ.
 *
 * <p>Thread-safe and stateless.
 */
public final class ApiKeyTokens {
  public static final int HASH_BYTES = 32;
  static final String PREFIX = "tly_";
  private static final int ID_BYTES = 6;
  private static final int SECRET_BYTES = 32;

  /** {@code tly_sk_} + 12 hex + {@code _} + 43 base64url. */
  static final int TOKEN_LENGTH = 7 + 2 * ID_BYTES + 1 + 43;

  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeyTokens() {}

  /** A new key: the token to show once, and its id and hash to store. */
  public record NewToken(String token, String id, byte[] hash) {}

  public static NewToken generate(ApiKey.Kind kind) {
    byte[] id = new byte[ID_BYTES];
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String idHex = HexFormat.of().formatHex(id);
    String token =
        PREFIX
            + kind.tag()
            + "_"
            + idHex
            + "_"
            + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return new NewToken(token, idHex, hash(token));
  }

  /**
   * The id inside a token, or null when {@code token} does not have the token's shape (so a
   * malformed header never reaches the store).
   */
  public static String idOf(String token) {
    if (token == null
        || token.length() != TOKEN_LENGTH
        || !token.startsWith(PREFIX)
        || token.charAt(6) != '_'
        || token.charAt(7 + 2 * ID_BYTES) != '_') {
      return null;
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      boolean ok =
          c >= 'a' && c <= 'z'
              || c >= 'A' && c <= 'Z'
              || c >= '0' && c <= '9'
              || c == '_'
              || c == '-';
      if (!ok) {
        return null;
      }
    }
    String id = token.substring(7, 7 + 2 * ID_BYTES);
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return null;
      }
    }
    return id;
  }

  /**
   * Whether the token claims to be a publishable key ({@code tly_pk_…}); says nothing about
   * validity.
   */
  public static boolean looksPublishable(String token) {
    return token != null && token.startsWith(PREFIX + ApiKey.Kind.PUBLISHABLE.tag() + "_");
  }

  /** SHA-256 of the token's ASCII bytes. */
  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.US_ASCII));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  /** Whether {@code token} is the key {@code key} was made for (kind included). */
  static boolean matches(ApiKey key, String token) {
    return token.startsWith(PREFIX + key.kind().tag() + "_") & key.hashEquals(hash(token));
  }

  /**
   * Checks that an allowed origin is what browsers send in {@code Origin}: scheme, host and
   * optional port, nothing else ({@code https://shop.example}, {@code http://localhost:3000}).
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  static void checkOrigin(String origin) {
    URI uri;
    try {
      uri = new URI(origin);
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("origin '" + origin + "' is not a URL: " + e.getReason());
    }
    boolean web = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
    if (!web
        || uri.getHost() == null
        || uri.getRawUserInfo() != null
        || !uri.getRawPath().isEmpty()
        || uri.getRawQuery() != null
        || uri.getRawFragment() != null
        || !origin.equals(origin.toLowerCase(java.util.Locale.ROOT))) {
      throw new IllegalArgumentException(
          "origin '"
              + origin
              + "' must be scheme://host[:port] in lower case, e.g. https://shop.example, as browsers send it");
    }
  }
}
