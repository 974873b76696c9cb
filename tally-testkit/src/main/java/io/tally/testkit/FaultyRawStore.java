package io.tally.testkit;

import static java.util.Objects.requireNonNull;

import io.tally.core.raw.RawEvent;
import io.tally.core.raw.RawGap;
import io.tally.core.raw.RawStore;
import io.tally.core.store.Checkpoint;
import io.tally.model.TallyException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A raw store that tests can make fail, wrapping a real one: while failing, every write's commit
 * throws before the delegate's, as a full disk would, so the write records nothing. Closing it does
 * not close the delegate. Thread-safe.
 */
public final class FaultyRawStore implements RawStore {
  private final RawStore delegate;
  // commits that still pass: Integer.MAX_VALUE while not failing (never counted down)
  private final AtomicInteger commitsBeforeFailing = new AtomicInteger(Integer.MAX_VALUE);

  public FaultyRawStore(RawStore delegate) {
    this.delegate = requireNonNull(delegate, "delegate");
  }

  /** Makes every commit fail (true) or pass (false) from now on. */
  public void failing(boolean fail) {
    commitsBeforeFailing.set(fail ? 0 : Integer.MAX_VALUE);
  }

  /**
   * Lets the next {@code commits} commits pass, then fails every one until {@code failing(false)}.
   */
  public void failAfterCommits(int commits) {
    if (commits < 0 || commits == Integer.MAX_VALUE) {
      throw new IllegalArgumentException("commits must be from 0 to Integer.MAX_VALUE - 1");
    }
    commitsBeforeFailing.set(commits);
  }

  @Override
  public boolean claim(int partition) {
    return delegate.claim(partition);
  }

  @Override
  public void release(int partition) {
    delegate.release(partition);
  }

  @Override
  public Checkpoint exported(int partition) {
    return delegate.exported(partition);
  }

  @Override
  public Write begin(int partition) {
    Write write = delegate.begin(partition);
    return new Write() {
      @Override
      public void append(RawEvent event) {
        write.append(event);
      }

      @Override
      public void commit(Checkpoint to, List<RawGap> gaps) {
        int before =
            commitsBeforeFailing.getAndUpdate(c -> c == 0 || c == Integer.MAX_VALUE ? c : c - 1);
        if (before == 0) {
          throw new TallyException("writing raw partition " + partition + ": No space left");
        }
        write.commit(to, gaps);
      }

      @Override
      public void close() {
        write.close();
      }
    };
  }

  @Override
  public List<RawGap> gaps() {
    return delegate.gaps();
  }

  @Override
  public long asOfMillis(int partitions) {
    return delegate.asOfMillis(partitions);
  }

  @Override
  public long expire(long beforeMillis) {
    return delegate.expire(beforeMillis);
  }

  @Override
  public void close() {}
}
