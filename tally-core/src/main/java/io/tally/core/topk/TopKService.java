package io.tally.core.topk;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.DerivedEntities;
import io.tally.core.query.BadQueryException;
import io.tally.core.store.CounterStore;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.core.validate.EventValidator;
import io.tally.model.TopK;
import io.tally.model.TopKItem;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import org.apache.datasketches.frequencies.ErrorType;
import org.apache.datasketches.frequencies.ItemsSketch;

/**
 * Answers {@code top}: the k entities with the most events of a type in a sliding window. It merges
 * the slot sketches of every partition that the window covers ({@link TopKWindow}) into one
 * frequent-items sketch and lists its items with {@link ErrorType#NO_FALSE_NEGATIVES}, most first.
 *
 * <h2>Guarantees</h2>
 *
 * Each listed item's true count lies in {@code [lowerBound, upperBound]}, its estimate is the upper
 * bound, and {@code upperBound − lowerBound ≤ maxError}, the merged sketch's maximum error. An
 * entity that is not listed has at most {@code max(maxError, the last listed estimate)} events.
 * When {@code maxError} is 0 the answer is {@code exact}: the true top k. It is exact as long as
 * every slot of every partition saw fewer than {@code 0.75 × sketchSize} distinct entities and the
 * merge as a whole fewer than {@code 0.75 × mergeSize}, where the merge sketch is {@code sketchSize
 * × partitions} (rounded up to a power of two, at most 2^18) so that exact partitions merge exactly
 * (entities never span partitions: DESIGN.md invariant 4).
 *
 * <h2>Namespaces</h2>
 *
 * A ranking is of one kind of entity ({@link TopKNamespace}): without a prefix, every plain entity;
 * with {@code prefix=video:} the plain entities starting with {@code video:}; with {@code
 * prefix=channel:} (a derived name) the derived entities starting with it. The slot sketches hold
 * every entity of the type, derived ones too, and the namespace filters the merged sketch's list:
 * the bounds above hold for each listed item, and {@code exact} and {@code maxError} are those of
 * the merged sketch (derived entities share its capacity).
 *
 * <p>Thread-safe and stateless.
 */
public final class TopKService {
  public static final int DEFAULT_K = 10;
  public static final int MAX_K = 1000;
  private static final int MAX_MERGE_SIZE = 1 << 18;
  private static final Comparator<TopKItem> ORDER =
      Comparator.comparingLong(TopKItem::estimate).reversed().thenComparing(TopKItem::entity);

  private final TopKStore store;
  private final CounterStore counters;
  private final TopKConfig config;
  private final EventValidator validator;
  private final InstantSource clock;
  private final int partitions;
  private final int mergeSize;
  private final QuorumLoss onQuorumLoss;
  private final DerivedEntities derived;

  /**
   * @param counters where the partitions' as-of times are read
   * @param partitions P: the as-of time is the oldest of every partition's
   */
  public TopKService(
      TopKStore store,
      CounterStore counters,
      TopKConfig config,
      EventValidator validator,
      InstantSource clock,
      int partitions) {
    this(store, counters, config, validator, clock, partitions, QuorumLoss.STALE);
  }

  /**
   * @param onQuorumLoss whether a replicated store that cannot reach a quorum answers from one
   *     replica (the answer says {@code "consistency": "one"}) or the query fails
   */
  public TopKService(
      TopKStore store,
      CounterStore counters,
      TopKConfig config,
      EventValidator validator,
      InstantSource clock,
      int partitions,
      QuorumLoss onQuorumLoss) {
    this(store, counters, config, validator, clock, partitions, onQuorumLoss, DerivedEntities.NONE);
  }

  /**
   * @param derived the server's derived entities: they rank only under a prefix of their own
   */
  public TopKService(
      TopKStore store,
      CounterStore counters,
      TopKConfig config,
      EventValidator validator,
      InstantSource clock,
      int partitions,
      QuorumLoss onQuorumLoss,
      DerivedEntities derived) {
    this.derived = requireNonNull(derived, "derived");
    this.onQuorumLoss = requireNonNull(onQuorumLoss, "onQuorumLoss");
    this.store = requireNonNull(store, "store");
    this.counters = requireNonNull(counters, "counters");
    this.config = requireNonNull(config, "config");
    this.validator = requireNonNull(validator, "validator");
    this.clock = requireNonNull(clock, "clock");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be positive");
    }
    this.partitions = partitions;
    this.mergeSize = mergeSize(config.sketchSize(), partitions);
  }

  /**
   * The merge sketch's map size: {@code sketchSize × partitions} rounded up to a power of two, at
   * most 2^18.
   */
  static int mergeSize(int sketchSize, int partitions) {
    long want = (long) sketchSize * partitions;
    int size = Integer.highestOneBit((int) Math.min(MAX_MERGE_SIZE, want));
    return size < want && size < MAX_MERGE_SIZE ? size << 1 : size;
  }

  /**
   * The top {@code k} entities of {@code type} in {@code window}.
   *
   * @param window the name of a configured window, e.g. {@code 1h}
   * @param k 1..{@value #MAX_K}; default {@value #DEFAULT_K}
   * @throws BadQueryException naming the bad parameter and, for the window, the allowed values
   */
  public TopK top(String type, String window, String k) {
    return top(type, window, k, null);
  }

  /**
   * The top {@code k} entities of {@code type} in {@code window} among those {@code prefix} names
   * ({@link TopKNamespace}).
   *
   * @param prefix null for every plain entity; else 1-256 entity characters
   * @throws BadQueryException naming the bad parameter and, for the window, the allowed values
   */
  public TopK top(String type, String window, String k, String prefix) {
    if (!config.enabled()) {
      throw new BadQueryException("top-K is switched off on this server (no --topk-windows)");
    }
    if (type == null) {
      throw new BadQueryException("type is required");
    }
    String p = validator.typeProblem(type);
    if (p != null) {
      throw new BadQueryException(p);
    }
    if (window == null) {
      throw new BadQueryException("window is required; one of " + config.windowNames());
    }
    TopKWindow w =
        config
            .window(window)
            .orElseThrow(
                () ->
                    new BadQueryException(
                        "window must be one of "
                            + config.windowNames()
                            + "; got '"
                            + shorten(window)
                            + "'"));
    int n = k(k);
    if (prefix != null && (p = validator.prefixProblem(prefix)) != null) {
      throw new BadQueryException(p);
    }
    TopKNamespace namespace = TopKNamespace.of(prefix, derived);
    long now = clock.millis();
    long first = w.firstSlotStart(now);
    ReadReport report = new ReadReport(onQuorumLoss);
    long asOf = asOf(report);
    ItemsSketch<String> merged = new ItemsSketch<>(mergeSize);
    for (ItemsSketch<String> s : store.sketches(type, w, first, report)) {
      merged.merge(s);
    }
    List<TopKItem> items = new ArrayList<>();
    for (ItemsSketch.Row<String> r : merged.getFrequentItems(ErrorType.NO_FALSE_NEGATIVES)) {
      if (!SlotSketches.isEntity(r.getItem()) || !namespace.contains(r.getItem())) {
        continue;
      }
      items.add(new TopKItem(r.getItem(), r.getEstimate(), r.getLowerBound(), r.getUpperBound()));
    }
    items.sort(ORDER);
    long maxError = merged.getMaximumError();
    return new TopK(
        type,
        w.wireName(),
        n,
        maxError == 0,
        maxError,
        first,
        asOf,
        items.subList(0, Math.min(n, items.size())),
        report.consistency());
  }

  private static int k(String k) {
    if (k == null) {
      return DEFAULT_K;
    }
    try {
      int n = Integer.parseInt(k);
      if (n >= 1 && n <= MAX_K) {
        return n;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new BadQueryException(
        "k must be an integer from 1 to " + MAX_K + "; got '" + shorten(k) + "'");
  }

  /**
   * The oldest as-of time of the partitions that have one: the answer counts everything before it.
   */
  private long asOf(ReadReport report) {
    long[] asOf = new long[partitions];
    int n = 0;
    for (int p = 0; p < partitions; p++) {
      OptionalLong a = counters.asOfMillis(p, report);
      if (a.isPresent()) {
        asOf[n++] = a.getAsLong();
      }
    }
    return n == 0 ? 0L : Arrays.stream(asOf, 0, n).min().getAsLong();
  }

  private static String shorten(String value) {
    return value.length() > 40 ? value.substring(0, 40) + "…" : value;
  }
}
