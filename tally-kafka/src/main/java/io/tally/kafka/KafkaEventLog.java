package io.tally.kafka;

import static java.util.Objects.requireNonNull;

import io.tally.core.codec.CorruptRecordException;
import io.tally.core.codec.EventCodec;
import io.tally.core.codec.StringCache;
import io.tally.core.log.EventBatch;
import io.tally.core.log.EventLog;
import io.tally.core.log.LogHead;
import io.tally.core.log.LogRecord;
import io.tally.model.Event;
import io.tally.model.Position;
import io.tally.model.TallyException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;

/**
 * The event log on the Kafka topic {@code <prefix>events}: Tally picks the partition of every
 * record itself (murmur3 of the entity, DESIGN.md invariant 4), the producer is idempotent with
 * {@code acks=all} and the settings' codec, and the broker stamps each record with its append time.
 *
 * <p>An append completes when Kafka acknowledged every record (replicated to the in-sync replicas);
 * it fails within the delivery timeout when the brokers are away, which ingest turns into a
 * retriable 503. Reads go through a private consumer with no group (assign and seek), used to
 * rebuild dedup windows, by the raw export and by tools; they are serialized, and decode entities
 * and types through the log's own {@link StringCache} (as {@code RocksDbEventLog}'s reads do), so
 * an entity read again is the same String with its hash already computed.
 *
 * <p>Thread-safe.
 */
public final class KafkaEventLog implements EventLog {
  /**
   * How far behind the moment the end offsets were fetched {@link LogHead#completeBeforeMillis()}
   * is placed: a record stamped just before the fetch may not yet be below the high watermark.
   */
  static final long HEAD_MARGIN_MILLIS = 500;

  private final KafkaSettings settings;
  private final String eventsTopic; // built once: append names it for every event
  private final InstantSource clock;
  private final KafkaProducer<byte[], byte[]> producer;
  private final KafkaConsumer<ByteBuffer, ByteBuffer> reader;
  private final Admin admin;
  private final StringCache strings = new StringCache(); // guarded by this, as reader is

  public KafkaEventLog(KafkaSettings settings, InstantSource clock) {
    this.settings = requireNonNull(settings, "settings");
    this.eventsTopic = settings.eventsTopic();
    this.clock = requireNonNull(clock, "clock");
    Topics.ensure(settings);
    producer =
        new KafkaProducer<>(
            KafkaClients.ingestProducer(settings),
            new ByteArraySerializer(),
            new ByteArraySerializer());
    reader =
        new KafkaConsumer<>(
            KafkaClients.reader(settings, "tally-log-reader-" + settings.nodeId()),
            new ByteBufferDeserializer(),
            new ByteBufferDeserializer());
    admin = Admin.create(Topics.adminProperties(settings));
  }

  public KafkaSettings settings() {
    return settings;
  }

  @Override
  public int partitions() {
    return settings.partitions();
  }

  @Override
  public CompletableFuture<Position> append(EventBatch batch) {
    if (batch.partitions() != settings.partitions()) {
      throw new IllegalArgumentException(
          "batch built for "
              + batch.partitions()
              + " partitions, the log has "
              + settings.partitions());
    }
    if (batch.size() == 0) {
      return CompletableFuture.completedFuture(Position.EMPTY);
    }
    Acknowledgements acks = new Acknowledgements(batch.size());
    try {
      for (int p = 0; p < batch.partitions(); p++) {
        for (Event e : batch.events(p)) {
          producer.send(new ProducerRecord<>(eventsTopic, p, null, null, encode(e)), acks);
        }
      }
    } catch (KafkaException e) {
      // the buffer stayed full for max.block.ms (brokers away): fail, the client retries
      acks.done.completeExceptionally(
          new TallyException("Kafka is not accepting events: " + e.getMessage(), e));
    }
    return acks.done;
  }

  /**
   * The callback of every record of one append (one object for all of them, not one per record):
   * completes {@link #done} with the offset past the highest acknowledged record of each partition
   * once all are acknowledged, or fails it at the first error. Callbacks of one producer run on its
   * one I/O thread; the state is guarded anyway.
   */
  private static final class Acknowledgements implements Callback {
    final CompletableFuture<Position> done = new CompletableFuture<>();
    private final Map<Integer, Long> ends = new java.util.TreeMap<>();
    private int outstanding;

    Acknowledgements(int records) {
      this.outstanding = records;
    }

    @Override
    public void onCompletion(RecordMetadata meta, Exception err) {
      if (err != null) {
        done.completeExceptionally(
            new TallyException("Kafka did not acknowledge an event: " + err.getMessage(), err));
        return;
      }
      Position complete = null;
      synchronized (this) {
        ends.merge(meta.partition(), meta.offset() + 1, Math::max);
        if (--outstanding == 0) {
          complete = new Position(new java.util.TreeMap<>(ends));
        }
      }
      if (complete != null) {
        done.complete(complete);
      }
    }
  }

  /**
   * The value of an events-topic record, framing version 1: one byte {@link #FRAMING_V1}, then the
   * event in {@link EventCodec}'s layout. Records written before the framing (version 0) are the
   * bare layout, whose first byte is the codec's flags, high bits 0; so a first byte with its high
   * bit set names a framing, and a framing this code does not know is refused, never misread.
   */
  static final byte FRAMING_V1 = (byte) 0xE1;

  static byte[] encode(Event e) {
    byte[][] strings = new byte[EventCodec.STRINGS][];
    byte[] value = new byte[1 + EventCodec.strings(e, strings, 0)];
    value[0] = FRAMING_V1;
    EventCodec.write(e, strings, 0, ByteBuffer.wrap(value, 1, value.length - 1));
    return value;
  }

  /**
   * Decodes an events-topic record, the event's entity and type through {@code strings} (a cache
   * the caller owns: the log's own under its lock, or {@code null} for none). The value is read
   * where the consumer left it (a view into its fetched or decompressed bytes, not a copy per
   * record), and the buffer's position is consumed.
   *
   * @throws CorruptRecordException for an empty value, an unknown framing, or bytes that are not an
   *     event
   */
  static LogRecord decode(ConsumerRecord<ByteBuffer, ByteBuffer> r, StringCache strings) {
    ByteBuffer in = r.value();
    if (in == null || !in.hasRemaining()) {
      throw new CorruptRecordException("empty events record at offset " + r.offset());
    }
    if (!in.hasArray()) { // direct or read-only: the codec decodes strings from the heap array
      in = ByteBuffer.allocate(in.remaining()).put(in.duplicate()).flip();
    }
    byte first = in.get(in.position());
    if (first == FRAMING_V1) {
      in.position(in.position() + 1);
    } else if ((first & 0x80) != 0) {
      throw new CorruptRecordException(
          String.format(
              "events record at offset %d has framing 0x%02x, which this version does not know"
                  + " (a newer Tally wrote it?)",
              r.offset(), first & 0xFF));
    }
    return new LogRecord(r.offset(), r.timestamp(), EventCodec.read(in, strings));
  }

  @Override
  public synchronized List<LogRecord> read(int partition, long fromOffset, int maxRecords) {
    TopicPartition tp = partition(partition);
    long end = endOffset(tp);
    if (fromOffset >= end) {
      return List.of();
    }
    reader.assign(List.of(tp));
    reader.seek(tp, Math.max(fromOffset, 0));
    List<LogRecord> out = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (out.isEmpty() && System.nanoTime() < deadline) {
      for (ConsumerRecord<ByteBuffer, ByteBuffer> r :
          reader.poll(Duration.ofMillis(200)).records(tp)) {
        if (r.offset() >= fromOffset && out.size() < Math.max(1, maxRecords)) {
          out.add(decode(r, strings));
        }
      }
      if (out.isEmpty() && reader.position(tp) >= end) {
        break;
      }
    }
    if (out.isEmpty() && reader.position(tp) < end) {
      throw new TallyException(
          "reading partition " + partition + " of " + settings.eventsTopic() + " timed out");
    }
    return out;
  }

  @Override
  public synchronized LogHead head(int partition) {
    long before = clock.millis() - HEAD_MARGIN_MILLIS;
    return new LogHead(endOffset(partition(partition)), before);
  }

  @Override
  public synchronized long startOffset(int partition) {
    TopicPartition tp = partition(partition);
    return reader.beginningOffsets(List.of(tp)).get(tp);
  }

  @Override
  public synchronized long offsetForTime(int partition, long appendTimeMillis) {
    TopicPartition tp = partition(partition);
    OffsetAndTimestamp found =
        reader.offsetsForTimes(Map.of(tp, Math.max(0, appendTimeMillis))).get(tp);
    return found != null ? found.offset() : endOffset(tp);
  }

  @Override
  public void deleteBefore(int partition, long offset) {
    try {
      admin
          .deleteRecords(Map.of(partition(partition), RecordsToDelete.beforeOffset(offset)))
          .all()
          .get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new TallyException("deleting records of partition " + partition + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TallyException("interrupted", e);
    }
  }

  private long endOffset(TopicPartition tp) {
    return reader.endOffsets(List.of(tp)).get(tp);
  }

  private TopicPartition partition(int p) {
    if (p < 0 || p >= settings.partitions()) {
      throw new IllegalArgumentException("no partition " + p);
    }
    return new TopicPartition(eventsTopic, p);
  }

  /** Waits for every send in flight (up to the delivery timeout), then closes the clients. */
  @Override
  public void close() {
    producer.close(Duration.ofMillis(KafkaClients.DELIVERY_TIMEOUT_MILLIS));
    synchronized (this) {
      reader.close();
    }
    admin.close(Duration.ofSeconds(5));
  }
}
