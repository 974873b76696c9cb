package io.tally.core.raw;

import io.tally.core.store.Checkpoint;
import java.util.List;
import java.util.function.Consumer;

/**
 * Reads the raw store back (recount and audit, {@link io.tally.core.recount.Recount}): a consistent
 * view of how far each partition is exported and of the events below those positions.
 *
 * <p>Implementations are thread-safe.
 */
public interface RawReader {

  /** The store as it is now; later exports do not change what the snapshot reads. */
  Snapshot snapshot();

  /** An immutable view of the store at one instant. Thread-safe. */
  interface Snapshot {

    /**
     * How far {@code partition} was exported when the snapshot was taken ({@link
     * Checkpoint#initial} if not at all): the snapshot holds exactly the partition's counted events
     * below its offset.
     */
    Checkpoint exported(int partition);

    /**
     * Calls {@code each} with every event of the snapshot whose event time lies in {@code
     * [fromMillis, toMillis)} and that was logged at or after {@code loggedFromMillis} (a bound
     * that lets the reader skip files; events logged before it are not asked for), in no particular
     * order, on the calling thread.
     *
     * @throws io.tally.model.TallyException if the files cannot be read
     */
    void forEach(long fromMillis, long toMillis, long loggedFromMillis, Consumer<RawEvent> each);

    /** The gaps recorded when the snapshot was taken: log records the store lacks for good. */
    List<RawGap> gaps();
  }
}
