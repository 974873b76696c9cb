package io.tally.core.store;

import static java.util.Objects.requireNonNull;

import io.tally.model.Consistency;

/**
 * What the reads of one query achieved, filled in by the store as it reads: the weakest consistency
 * any read was answered at, and whether a read fell back to one replica because a quorum could not
 * be reached. A store that keeps one copy (embedded mode) states nothing. One per query;
 * thread-safe (a store may report from its driver's threads).
 */
public final class ReadReport {
  private final QuorumLoss onQuorumLoss;
  private Consistency weakest; // guarded by this
  private boolean fellBack; // guarded by this

  /**
   * @param onQuorumLoss whether a read that cannot reach its consistency may fall back to one
   *     replica
   */
  public ReadReport(QuorumLoss onQuorumLoss) {
    this.onQuorumLoss = requireNonNull(onQuorumLoss, "onQuorumLoss");
  }

  /** What a store does when a quorum cannot be reached. */
  public QuorumLoss onQuorumLoss() {
    return onQuorumLoss;
  }

  /** A read was answered at {@code c} as configured. */
  public synchronized void answered(Consistency c) {
    requireNonNull(c, "c");
    if (weakest == null || c == Consistency.ONE) {
      weakest = c;
    }
  }

  /** A read could not reach its consistency and was answered by one replica instead. */
  public synchronized void fellBackToOne() {
    weakest = Consistency.ONE;
    fellBack = true;
  }

  /** The weakest consistency of the query's reads; null if the store stated none. */
  public synchronized Consistency consistency() {
    return weakest;
  }

  /** Whether a read fell back to one replica (such an answer is not cached). */
  public synchronized boolean fellBack() {
    return fellBack;
  }
}
