package io.tally.core.auth;

import io.tally.core.codec.CorruptRecordException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The stored form of an {@link ApiKey}, the same bytes in RocksDB and Cassandra (a durable format:
 * a later version gets a new version byte, never a new meaning for this one). Strings are Java's
 * modified UTF-8 with a u16 length ({@link DataOutputStream#writeUTF}).
 *
 * <pre>
 * u8  version = 1
 * u8  kind (0 secret, 1 publishable)
 * u8  scopes, bit i = Scope.values()[i]
 * i64 created at (epoch ms)     i64 revoked at (epoch ms, 0 = valid)
 * 32  SHA-256 of the token
 * utf id   utf name
 * u16 origin count,        then each: utf
 * u16 entity prefix count, then each: utf
 * </pre>
 *
 * Thread-safe and stateless.
 */
public final class ApiKeyCodec {
  private static final byte VERSION = 1;

  private ApiKeyCodec() {}

  public static byte[] encode(ApiKey key) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeByte(key.kind().ordinal());
      int scopes = 0;
      for (Scope s : key.scopes()) {
        scopes |= 1 << s.ordinal();
      }
      out.writeByte(scopes);
      out.writeLong(key.createdAtMillis());
      out.writeLong(key.revokedAtMillis());
      out.write(key.hash());
      out.writeUTF(key.id());
      out.writeUTF(key.name());
      writeList(out, key.origins());
      writeList(out, key.entityPrefixes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * @throws CorruptRecordException if the bytes are not a record of a known version
   */
  public static ApiKey decode(byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      if (in.readByte() != VERSION) {
        throw new CorruptRecordException("API key record has an unknown version");
      }
      ApiKey.Kind kind = ApiKey.Kind.values()[in.readUnsignedByte()];
      int bits = in.readUnsignedByte();
      Set<Scope> scopes = EnumSet.noneOf(Scope.class);
      for (Scope s : Scope.values()) {
        if ((bits & 1 << s.ordinal()) != 0) {
          scopes.add(s);
        }
      }
      long created = in.readLong();
      long revoked = in.readLong();
      byte[] hash = new byte[ApiKeyTokens.HASH_BYTES];
      in.readFully(hash);
      String id = in.readUTF();
      String name = in.readUTF();
      List<String> origins = readList(in);
      List<String> prefixes = readList(in);
      if (in.available() != 0) {
        throw new CorruptRecordException("API key record " + id + " has trailing bytes");
      }
      return new ApiKey(id, name, kind, scopes, origins, prefixes, created, revoked, hash);
    } catch (IOException | IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      throw new CorruptRecordException("API key record is unreadable: " + e.getMessage());
    }
  }

  private static void writeList(DataOutputStream out, List<String> list) throws IOException {
    out.writeShort(list.size());
    for (String s : list) {
      out.writeUTF(s);
    }
  }

  private static List<String> readList(DataInputStream in) throws IOException {
    int n = in.readUnsignedShort();
    List<String> list = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      list.add(in.readUTF());
    }
    return list;
  }
}
