package io.tally.core.store;

/**
 * What a query does when its store cannot reach the configured read consistency (a quorum of the
 * replicas): the design prefers stale data to no data ({@code query.on-quorum-loss}).
 */
public enum QuorumLoss {
  /** Read again from one replica and answer, marked {@code "consistency": "one"}. */
  STALE,
  /** Fail the query (the HTTP API answers 503). */
  FAIL
}
