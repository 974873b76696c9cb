package io.tally.core.auth;

import static java.util.Objects.requireNonNull;

import java.time.InstantSource;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The keys every request is checked against: an immutable snapshot of the store's records, by id,
 * replaced by {@link #refresh()} (the server calls it every second or so, which is how a key
 * revoked on one cluster node stops working on every node within seconds). A key made or revoked
 * through this ring takes effect here at once.
 *
 * <p>Thread-safe: the snapshot is swapped atomically; writes are serialized.
 */
public final class KeyRing {
  /** Most key records a store may hold (revoked ones count), so the snapshot stays small. */
  public static final int MAX_KEYS = 10_000;

  private final ApiKeyStore store;
  private final InstantSource clock;
  private volatile Map<String, ApiKey> keys = Map.of();

  /**
   * Loads the store's records.
   *
   * @throws io.tally.model.TallyException if the store cannot be read
   */
  public KeyRing(ApiKeyStore store, InstantSource clock) {
    this.store = requireNonNull(store, "store");
    this.clock = requireNonNull(clock, "clock");
    refresh();
  }

  /** The outcome of checking a presented token: the key, or why it is refused. */
  public record Check(ApiKey key, String problem) {
    public boolean ok() {
      return key != null;
    }
  }

  /**
   * Re-reads every record from the store. @throws io.tally.model.TallyException if the store cannot
   * be read
   */
  public void refresh() {
    Map<String, ApiKey> loaded = new HashMap<>();
    for (ApiKey k : store.all()) {
      loaded.put(k.id(), k);
    }
    keys = Map.copyOf(loaded);
  }

  /** Checks a presented token: well-formed, known, matching hash, not revoked. */
  public Check check(String token) {
    String id = ApiKeyTokens.idOf(token);
    if (id == null) {
      return new Check(null, "malformed API key");
    }
    ApiKey key = keys.get(id);
    if (key == null || !ApiKeyTokens.matches(key, token)) {
      return new Check(null, "unknown API key");
    }
    if (key.revoked()) {
      return new Check(null, "API key " + id + " was revoked");
    }
    return new Check(key, null);
  }

  /**
   * Whether any key was ever made in this store (revoked ones count): auth stays on from then on.
   */
  public boolean anyKeyEverMade() {
    return !keys.isEmpty();
  }

  /** A new key's token, to show once, and its stored record. */
  public record Created(String token, ApiKey key) {}

  /**
   * Makes a key and stores its record.
   *
   * @throws IllegalArgumentException if the settings are invalid (the message says which)
   * @throws io.tally.model.TallyException if the store cannot be written
   */
  public synchronized Created create(
      String name,
      ApiKey.Kind kind,
      Set<Scope> scopes,
      List<String> origins,
      List<String> entityPrefixes) {
    refresh();
    if (keys.size() >= MAX_KEYS) {
      throw new IllegalArgumentException(
          "the store already holds " + MAX_KEYS + " keys (revoked ones count)");
    }
    ApiKeyTokens.NewToken t;
    do {
      t = ApiKeyTokens.generate(kind);
    } while (keys.containsKey(t.id()));
    ApiKey key =
        new ApiKey(
            t.id(), name, kind, scopes, origins, entityPrefixes, clock.millis(), 0, t.hash());
    store.put(key);
    refresh();
    return new Created(t.token(), key);
  }

  /**
   * Revokes a key (idempotent: a revoked key keeps its first revocation time).
   *
   * @return the revoked record, or empty when no key has that id
   * @throws io.tally.model.TallyException if the store cannot be written
   */
  public synchronized Optional<ApiKey> revoke(String id) {
    refresh();
    ApiKey key = keys.get(id);
    if (key == null) {
      return Optional.empty();
    }
    if (!key.revoked()) {
      key = key.revokedAt(clock.millis());
      store.put(key);
      refresh();
    }
    return Optional.of(key);
  }

  /** Every record, oldest first. */
  public List<ApiKey> list() {
    return keys.values().stream()
        .sorted(Comparator.comparingLong(ApiKey::createdAtMillis).thenComparing(ApiKey::id))
        .toList();
  }

  /** The record with this id, as of the last refresh. */
  public Optional<ApiKey> find(String id) {
    return Optional.ofNullable(keys.get(id));
  }
}
