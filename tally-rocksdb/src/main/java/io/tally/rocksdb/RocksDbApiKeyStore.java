package io.tally.rocksdb;

import static java.util.Objects.requireNonNull;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.ApiKeyCodec;
import io.tally.core.auth.ApiKeyStore;
import io.tally.model.TallyException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

/**
 * Embedded mode's API keys, in the data dir's default column family beside the format record and
 * the checkpoints:
 *
 * <pre>
 * key:   "apikey/" (ASCII) + key id (ASCII hex)
 * value: the record as {@link ApiKeyCodec} writes it (only the token's hash, never the token)
 * </pre>
 *
 * Writes are synced: a revocation is acknowledged only once it is on disk. Thread-safe.
 */
public final class RocksDbApiKeyStore implements ApiKeyStore {
  private static final byte[] PREFIX = "apikey/".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END =
      "apikey0".getBytes(StandardCharsets.US_ASCII); // '0' follows '/'

  private final RocksDbStorage storage;

  public RocksDbApiKeyStore(RocksDbStorage storage) {
    this.storage = requireNonNull(storage, "storage");
  }

  @Override
  public void put(ApiKey key) {
    byte[] id = key.id().getBytes(StandardCharsets.US_ASCII);
    byte[] k = Arrays.copyOf(PREFIX, PREFIX.length + id.length);
    System.arraycopy(id, 0, k, PREFIX.length, id.length);
    try (WriteOptions sync = new WriteOptions().setSync(true)) {
      storage.db().put(storage.meta(), sync, k, ApiKeyCodec.encode(key));
    } catch (RocksDBException e) {
      throw new TallyException("writing API key " + key.id() + " failed: " + e.getMessage(), e);
    }
  }

  @Override
  public List<ApiKey> all() {
    List<ApiKey> keys = new ArrayList<>();
    try (org.rocksdb.Slice upper = new org.rocksdb.Slice(END);
        ReadOptions options = new ReadOptions().setIterateUpperBound(upper);
        RocksIterator it = storage.db().newIterator(storage.meta(), options)) {
      for (it.seek(PREFIX); it.isValid(); it.next()) {
        keys.add(ApiKeyCodec.decode(it.value()));
      }
      it.status();
    } catch (RocksDBException e) {
      throw new TallyException("reading the API keys failed: " + e.getMessage(), e);
    }
    return keys;
  }
}
