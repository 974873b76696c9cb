package io.tally.rocksdb;

import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The newest batches of each log partition, kept in memory as the appender wrote them, so that a
 * reader keeping up with the log (the processor, mostly) gets its records without reading them back
 * out of RocksDB and decoding them again.
 *
 * <p>What it serves is what RocksDB would: the same offsets, append times and events. The events
 * are the appended instances; reading them back would give equal ones because every string the log
 * stores round-trips through UTF-8 ({@link io.tally.core.validate.EventValidator} admits ASCII ids,
 * entities, types and actors only; {@code LogTailTest} checks the two paths against each other).
 * RocksDB stays the record: a read the tail cannot serve whole from its first offset goes there.
 *
 * <p>Bounded per partition by events and by age, so it holds only the last moments of a busy log
 * and lets a quiet one's events die young in the heap.
 *
 * <p>Thread-safe: one appender adds, any number of readers read, each partition under its own lock.
 */
final class LogTail {
  private record Batch(long base, long appendTimeMillis, List<Event> events) {}

  private static final class Partition {
    final ArrayDeque<Batch> batches = new ArrayDeque<>();
    int events;
  }

  private final Partition[] partitions;
  private final int maxEvents;
  private final long maxAgeMillis;

  /**
   * @param maxEvents most events held per partition (0: hold nothing)
   * @param maxAgeMillis batches appended longer ago than this (in append time) are dropped
   */
  LogTail(int partitions, int maxEvents, long maxAgeMillis) {
    this.partitions = new Partition[partitions];
    for (int p = 0; p < partitions; p++) {
      this.partitions[p] = new Partition();
    }
    this.maxEvents = maxEvents;
    this.maxAgeMillis = maxAgeMillis;
  }

  /**
   * Holds the batch of {@code events} stored at {@code base} of {@code partition}. Batches of a
   * partition must come in offset order, each starting where the last ended.
   */
  void add(int partition, long base, long appendTimeMillis, List<Event> events) {
    Partition p = partitions[partition];
    synchronized (p) {
      Batch last = p.batches.peekLast();
      if (last != null && last.base() + last.events().size() != base) {
        // not contiguous (cannot happen with one appender): start over rather than serve a gap
        p.batches.clear();
        p.events = 0;
      }
      if (events.size() > maxEvents) {
        return;
      }
      p.batches.addLast(new Batch(base, appendTimeMillis, events));
      p.events += events.size();
      Batch oldest;
      while ((oldest = p.batches.peekFirst()) != null
          && (p.events > maxEvents
              || oldest.appendTimeMillis() < appendTimeMillis - maxAgeMillis)) {
        p.batches.removeFirst();
        p.events -= oldest.events().size();
      }
    }
  }

  /**
   * Adds to {@code out} the records at offsets ≥ {@code fromOffset} of the held batches that start
   * before {@code endOffset}, batch by batch until {@code out} holds {@code maxRecords} or more —
   * as a read of the stored batches would — and returns true; or returns false, adding nothing,
   * when the tail does not hold {@code fromOffset}.
   */
  boolean read(
      int partition, long fromOffset, long endOffset, int maxRecords, List<LogRecord> out) {
    Partition p = partitions[partition];
    synchronized (p) {
      Batch first = p.batches.peekFirst();
      if (first == null || first.base() > fromOffset) {
        return false;
      }
      Batch last = p.batches.peekLast();
      if (last.base() + last.events().size() <= fromOffset) {
        return false;
      }
      // the reader is likeliest near the head: find its batch walking back from the newest
      ArrayList<Batch> wanted = new ArrayList<>();
      Iterator<Batch> back = p.batches.descendingIterator();
      Batch b;
      do {
        b = back.next();
        if (b.base() < endOffset) {
          wanted.add(b);
        }
      } while (b.base() > fromOffset);
      for (int k = wanted.size() - 1; k >= 0 && out.size() < maxRecords; k--) {
        Batch w = wanted.get(k);
        List<Event> events = w.events();
        for (int i = (int) Math.max(0, fromOffset - w.base()); i < events.size(); i++) {
          out.add(new LogRecord(w.base() + i, w.appendTimeMillis(), events.get(i)));
        }
      }
      return true;
    }
  }

  /** Forgets the batches of {@code partition} that end at or before {@code offset}. */
  void trimBefore(int partition, long offset) {
    Partition p = partitions[partition];
    synchronized (p) {
      Batch oldest;
      while ((oldest = p.batches.peekFirst()) != null
          && oldest.base() + oldest.events().size() <= offset) {
        p.batches.removeFirst();
        p.events -= oldest.events().size();
      }
    }
  }
}
