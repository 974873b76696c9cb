package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.tally.core.enrich.WritableAttributeStore;
import io.tally.model.TallyException;
import java.util.Map;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteOptions;

/**
 * Entity attributes in the {@code attributes} column family ({@link AttributesDescriptor}), read
 * through a bounded Caffeine cache, since processors look up the attributes of every event while
 * derivation is configured. Entities without attributes are cached too (as an empty map).
 *
 * <p>A write replaces the entity's cache entry inside the cache's atomic {@code compute} for that
 * key, in which it also writes RocksDB (synced where this is the only copy: attribute changes are
 * rare and acknowledged as durable). Loads of the same key are computations too, so none can
 * interleave and put an old value back: every read that starts after a write returned sees it.
 * (Plain invalidation would leave that race open: Caffeine does not define invalidation of an entry
 * being loaded.)
 *
 * <p>The cache is bounded by an estimate of its entries' bytes. Thread-safe.
 */
public final class RocksDbAttributeStore implements WritableAttributeStore, AutoCloseable {
  /** Default bound of the cache, in estimated bytes. */
  public static final long DEFAULT_CACHE_BYTES = 64L << 20;

  private final RocksDbStorage storage;
  private final Cache<String, Map<String, String>> cache;
  private final WriteOptions writeOptions;

  /**
   * @param maxCacheBytes the cache's bound, in estimated bytes of entities and attributes
   * @param sync whether each write is synced to disk before it returns: true where this is the only
   *     copy (embedded mode); false for a replica rebuilt from the attributes topic anyway
   */
  public RocksDbAttributeStore(RocksDbStorage storage, long maxCacheBytes, boolean sync) {
    this.storage = requireNonNull(storage, "storage");
    this.writeOptions = new WriteOptions().setSync(sync);
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxCacheBytes)
            .weigher(RocksDbAttributeStore::weight)
            .build();
  }

  /** About the bytes an entry holds on the heap: the strings and the map's nodes. */
  private static int weight(String entity, Map<String, String> attributes) {
    int w = 96 + 2 * entity.length();
    for (Map.Entry<String, String> e : attributes.entrySet()) {
      w += 96 + 2 * (e.getKey().length() + e.getValue().length());
    }
    return w;
  }

  @Override
  public Map<String, String> attributes(String entity) {
    return cache.get(entity, this::load);
  }

  private Map<String, String> load(String entity) {
    byte[] value;
    try {
      value = storage.db().get(storage.attributes(), AttributesDescriptor.key(entity));
    } catch (RocksDBException e) {
      throw new TallyException(
          "reading the attributes of " + entity + " failed: " + e.getMessage(), e);
    }
    return value == null ? Map.of() : AttributesDescriptor.decode(entity, value);
  }

  @Override
  public void put(String entity, Map<String, String> attributes) {
    Map<String, String> copy = Map.copyOf(attributes);
    cache
        .asMap()
        .compute(
            entity,
            (k, old) -> {
              write(entity, AttributesDescriptor.value(copy));
              return copy;
            });
  }

  @Override
  public void delete(String entity) {
    cache
        .asMap()
        .compute(
            entity,
            (k, old) -> {
              write(entity, null);
              return Map.of();
            });
  }

  /** Puts {@code value}, or deletes the entry when it is null; synced. */
  private void write(String entity, byte[] value) {
    try {
      if (value == null) {
        storage.db().delete(storage.attributes(), writeOptions, AttributesDescriptor.key(entity));
      } else {
        storage
            .db()
            .put(storage.attributes(), writeOptions, AttributesDescriptor.key(entity), value);
      }
    } catch (RocksDBException e) {
      throw new TallyException(
          "writing the attributes of " + entity + " failed: " + e.getMessage(), e);
    }
  }

  /** Must not run while others read or write (a replica clears itself before it is used). */
  @Override
  public void clear() {
    try {
      storage
          .db()
          .deleteRange(storage.attributes(), AttributesDescriptor.START, AttributesDescriptor.END);
    } catch (RocksDBException e) {
      throw new TallyException("clearing the attributes failed: " + e.getMessage(), e);
    } finally {
      cache.invalidateAll();
    }
  }

  /** Frees the write options; the storage itself is closed by its owner. */
  @Override
  public void close() {
    writeOptions.close();
  }
}
