package io.tally.core.auth;

import static java.util.Objects.requireNonNull;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One key's stored record: never the key itself, only its SHA-256 {@code hash} ({@link
 * ApiKeyTokens}). Immutable (the hash array is not exposed for writing).
 *
 * @param id the public part of the token, used to find the record ({@code tly_sk_<id>_…})
 * @param name a label for people (who the key was made for)
 * @param kind a secret server-side key, or a publishable browser key
 * @param scopes what the key may do; a publishable key has exactly {@link Scope#INGEST}
 * @param origins publishable keys: the page origins ({@code https://shop.example}) allowed to use
 *     it
 * @param entityPrefixes publishable keys: every event's entity must start with one of these
 * @param createdAtMillis when it was made (epoch ms)
 * @param revokedAtMillis when it was revoked (epoch ms), 0 while it is valid
 */
public record ApiKey(
    String id,
    String name,
    Kind kind,
    Set<Scope> scopes,
    List<String> origins,
    List<String> entityPrefixes,
    long createdAtMillis,
    long revokedAtMillis,
    byte[] hash) {

  /** Most characters of a key's name. */
  public static final int MAX_NAME_LENGTH = 128;

  /** Most origins or entity prefixes of a publishable key. */
  public static final int MAX_LIST_SIZE = 32;

  /**
   * A secret key ({@code tly_sk_…}) for servers, or a publishable one ({@code tly_pk_…}) for pages.
   */
  public enum Kind {
    SECRET("sk"),
    PUBLISHABLE("pk");

    private final String tag;

    Kind(String tag) {
      this.tag = tag;
    }

    /** The two letters in the token's prefix. */
    public String tag() {
      return tag;
    }
  }

  public ApiKey {
    requireNonNull(id, "id");
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    scopes = scopes.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(scopes));
    origins = List.copyOf(origins);
    entityPrefixes = List.copyOf(entityPrefixes);
    hash = hash.clone();
    if (hash.length != ApiKeyTokens.HASH_BYTES) {
      throw new IllegalArgumentException("hash must be " + ApiKeyTokens.HASH_BYTES + " bytes");
    }
    if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("name must be 1 to " + MAX_NAME_LENGTH + " characters");
    }
    if (scopes.isEmpty()) {
      throw new IllegalArgumentException("a key needs at least one scope: ingest, query or admin");
    }
    if (kind == Kind.PUBLISHABLE) {
      if (!scopes.equals(Set.of(Scope.INGEST))) {
        throw new IllegalArgumentException("a publishable key can only have the ingest scope");
      }
      if (origins.isEmpty() || entityPrefixes.isEmpty()) {
        throw new IllegalArgumentException(
            "a publishable key needs at least one origin and one entity prefix");
      }
    } else if (!origins.isEmpty() || !entityPrefixes.isEmpty()) {
      throw new IllegalArgumentException(
          "origins and entity prefixes apply to publishable keys only");
    }
    if (origins.size() > MAX_LIST_SIZE || entityPrefixes.size() > MAX_LIST_SIZE) {
      throw new IllegalArgumentException(
          "at most " + MAX_LIST_SIZE + " origins and " + MAX_LIST_SIZE + " entity prefixes");
    }
    for (String o : origins) {
      ApiKeyTokens.checkOrigin(o);
    }
    for (String p : entityPrefixes) {
      if (p.isEmpty() || p.length() > 256) {
        throw new IllegalArgumentException("an entity prefix must be 1 to 256 characters");
      }
    }
  }

  public boolean revoked() {
    return revokedAtMillis != 0;
  }

  public boolean allows(Scope scope) {
    return scopes.contains(scope);
  }

  /** A copy of the stored hash. */
  @Override
  public byte[] hash() {
    return hash.clone();
  }

  /**
   * Whether {@code candidateHash} equals this key's hash, in time independent of where they differ.
   */
  boolean hashEquals(byte[] candidateHash) {
    return java.security.MessageDigest.isEqual(hash, candidateHash);
  }

  /** The same key, revoked at {@code atMillis}. */
  public ApiKey revokedAt(long atMillis) {
    return new ApiKey(
        id, name, kind, scopes, origins, entityPrefixes, createdAtMillis, atMillis, hash);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ApiKey k
        && id.equals(k.id)
        && name.equals(k.name)
        && kind == k.kind
        && scopes.equals(k.scopes)
        && origins.equals(k.origins)
        && entityPrefixes.equals(k.entityPrefixes)
        && createdAtMillis == k.createdAtMillis
        && revokedAtMillis == k.revokedAtMillis
        && java.util.Arrays.equals(hash, k.hash);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** Never prints the hash. */
  @Override
  public String toString() {
    return "ApiKey["
        + id
        + " '"
        + name
        + "' "
        + kind
        + " "
        + scopes
        + (revoked() ? " revoked" : "")
        + "]";
  }
}
