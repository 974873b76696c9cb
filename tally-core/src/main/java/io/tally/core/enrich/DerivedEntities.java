package io.tally.core.enrich;

import io.tally.core.partition.Partitioner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Which attributes derive entities ({@code --derive channel,category}), and the names of derived
 * entities and of the counter rows that hold them.
 *
 * <p>An event on an entity whose attribute {@code n} (a configured name) has the value {@code v}
 * also counts for the derived entity {@code n:v}. The counts of a derived entity are written
 * <em>sharded by source partition</em>: the processor of partition p writes the rows of {@code
 * n:v~p} ({@value #SHARD_SEPARATOR} is no entity character, so no entity a client names collides
 * with a shard). Every counter row thus still has exactly one writing partition (DESIGN.md
 * invariants 4 and 5: the cluster's per-row positions are offsets of one deltas partition). A query
 * for {@code n:v} sums the rows of {@code n:v} itself and of its P shards.
 *
 * <p>Derived names are reserved: while {@code n} derives entities, ingest refuses an event sent
 * directly to {@code n:…} ({@link #directEventProblem}), so only members' events change a derived
 * entity. The row {@code n:v} itself holds only events accepted before the name was derived (or
 * before this rule), and stays counted.
 *
 * <p>Immutable and thread-safe.
 */
public final class DerivedEntities {
  /** Separates a derived entity from the source partition in a shard's row name. */
  public static final char SHARD_SEPARATOR = '~';

  /** Derives nothing. */
  public static final DerivedEntities NONE = new DerivedEntities(List.of());

  private final List<String> names;
  private final String[] prefixes;

  private DerivedEntities(List<String> names) {
    this.names = List.copyOf(names);
    this.prefixes = names.stream().map(n -> n + ":").toArray(String[]::new);
  }

  /**
   * The derivation for {@code attributeNames}, in that order, duplicates dropped.
   *
   * @throws IllegalArgumentException naming a name that is not a valid attribute name
   */
  public static DerivedEntities of(Collection<String> attributeNames) {
    LinkedHashSet<String> unique = new LinkedHashSet<>();
    for (String n : attributeNames) {
      String p = AttributeRules.nameProblem(n);
      if (p != null) {
        throw new IllegalArgumentException("cannot derive from '" + n + "': " + p);
      }
      unique.add(n);
    }
    if (unique.size() > AttributeRules.MAX_ATTRIBUTES) {
      throw new IllegalArgumentException(
          "at most " + AttributeRules.MAX_ATTRIBUTES + " attributes can derive entities");
    }
    return unique.isEmpty() ? NONE : new DerivedEntities(new ArrayList<>(unique));
  }

  /** The configured attribute names, in order. */
  public List<String> attributeNames() {
    return names;
  }

  public boolean isEmpty() {
    return names.isEmpty();
  }

  /** Whether {@code entity} names a derived entity, i.e. starts with a configured {@code name:}. */
  public boolean isDerived(String entity) {
    for (String prefix : prefixes) {
      if (entity.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Why an event may not name {@code entity} directly, or {@code null} if it may: a derived
   * entity's counts are the sum of its members' events, so while its attribute derives entities, an
   * event sent straight to it (which anyone with an ingest key could use to inflate the derived
   * totals and their top-K ranking) is refused with this reason.
   */
  public String directEventProblem(String entity) {
    for (String prefix : prefixes) {
      if (entity.startsWith(prefix)) {
        return "entity prefix '"
            + prefix
            + "' is derived by this server (--derive "
            + this
            + "); send events for its members";
      }
    }
    return null;
  }

  /**
   * The derived entities an event on {@code entity} also counts for, given its attributes: one
   * {@code name:value} per configured name the attributes have, in configured order. An entity
   * never derives itself (attributes on {@code channel:c1} saying {@code channel=c1}).
   */
  public List<String> derive(String entity, Map<String, String> attributes) {
    if (names.isEmpty() || attributes.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(2);
    for (int i = 0; i < prefixes.length; i++) {
      String value = attributes.get(names.get(i));
      if (value != null) {
        String derived = prefixes[i] + value;
        if (!derived.equals(entity)) {
          out.add(derived);
        }
      }
    }
    return out;
  }

  /** The row entity that partition {@code partition}'s counts of {@code derivedEntity} go to. */
  public static String shardName(String derivedEntity, int partition) {
    return derivedEntity + SHARD_SEPARATOR + partition;
  }

  /**
   * The entity a row entity belongs to: {@code channel:c1~3} → {@code channel:c1}; others
   * unchanged.
   */
  public static String baseName(String rowEntity) {
    int i = rowEntity.lastIndexOf(SHARD_SEPARATOR);
    return i < 0 ? rowEntity : rowEntity.substring(0, i);
  }

  /** The source partition of a shard row entity, or -1 if {@code rowEntity} is no shard. */
  public static int shardPartition(String rowEntity) {
    int i = rowEntity.lastIndexOf(SHARD_SEPARATOR);
    if (i < 0 || i == rowEntity.length() - 1) {
      return -1;
    }
    int p = 0;
    for (int j = i + 1; j < rowEntity.length(); j++) {
      char c = rowEntity.charAt(j);
      if (c < '0' || c > '9' || p > Partitioner.MAX_PARTITIONS) {
        return -1;
      }
      p = p * 10 + (c - '0');
    }
    return p;
  }

  /**
   * The partition whose processor writes the rows of {@code rowEntity}: a shard's source partition,
   * else the entity's own partition.
   */
  public static int writerPartition(String rowEntity, Partitioner partitioner) {
    int p = shardPartition(rowEntity);
    return p >= 0 ? p : partitioner.partition(rowEntity);
  }

  @Override
  public String toString() {
    return names.isEmpty() ? "none" : String.join(",", names);
  }
}
