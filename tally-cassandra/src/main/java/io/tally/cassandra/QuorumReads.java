package io.tally.cassandra;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.DriverException;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.servererrors.QueryConsistencyException;
import com.datastax.oss.driver.api.core.servererrors.UnavailableException;
import io.tally.core.store.QuorumLoss;
import io.tally.core.store.ReadReport;
import io.tally.model.Consistency;
import io.tally.model.TallyException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queries' reads: at the configured read consistency; when that cannot be reached (too few
 * replicas alive — Unavailable —, or too few answering in time — a read timeout or failure) and the
 * query's {@link ReadReport} says {@link QuorumLoss#STALE}, the same statement again at ONE. Each
 * read states in the report what it was answered at: {@link Consistency#ONE} for ONE or LOCAL_ONE
 * (configured or fallen back to), else {@link Consistency#QUORUM}. Thread-safe.
 */
final class QuorumReads {
  private static final Logger LOG = LoggerFactory.getLogger(QuorumReads.class);

  private final CqlSession session;
  private final DefaultConsistencyLevel level;

  QuorumReads(CqlSession session, DefaultConsistencyLevel level) {
    this.session = session;
    this.level = level;
  }

  /**
   * Executes {@code statement} as described above.
   *
   * @throws TallyException if Cassandra fails, or a quorum is lost and the report says FAIL
   */
  ResultSet execute(Statement<?> statement, ReadReport report) {
    try {
      ResultSet rs = session.execute(statement.setConsistencyLevel(level).setIdempotent(true));
      report.answered(stated(level));
      return rs;
    } catch (DriverException e) {
      checkFallBack(e, report);
      try {
        ResultSet rs =
            session.execute(
                statement.setConsistencyLevel(DefaultConsistencyLevel.ONE).setIdempotent(true));
        report.fellBackToOne();
        return rs;
      } catch (DriverException again) {
        throw new TallyException("Cassandra read failed: " + again.getMessage(), again);
      }
    }
  }

  /** {@link #execute}, asynchronously; the stage fails with a {@link TallyException}. */
  CompletionStage<AsyncResultSet> executeAsync(Statement<?> statement, ReadReport report) {
    return session
        .executeAsync(statement.setConsistencyLevel(level).setIdempotent(true))
        .handle(
            (rs, failure) -> {
              if (failure == null) {
                report.answered(stated(level));
                return CompletableFuture.completedFuture(rs);
              }
              Throwable e = failure instanceof CompletionException ? failure.getCause() : failure;
              try {
                if (!(e instanceof DriverException d)) {
                  throw new TallyException("Cassandra read failed: " + e, e);
                }
                checkFallBack(d, report);
              } catch (TallyException t) {
                return CompletableFuture.<AsyncResultSet>failedFuture(t);
              }
              return session
                  .executeAsync(
                      statement
                          .setConsistencyLevel(DefaultConsistencyLevel.ONE)
                          .setIdempotent(true))
                  .thenApply(
                      one -> {
                        report.fellBackToOne();
                        return one;
                      });
            })
        .thenCompose(stage -> stage);
  }

  /**
   * Returns if {@code e} means the consistency level could not be reached and the report allows
   * reading one replica instead; else throws.
   */
  private void checkFallBack(DriverException e, ReadReport report) {
    if (!quorumLost(e) || stated(level) == Consistency.ONE) {
      throw new TallyException("Cassandra read failed: " + e.getMessage(), e);
    }
    if (report.onQuorumLoss() == QuorumLoss.FAIL) {
      throw new TallyException(
          "Cassandra cannot read at "
              + level
              + " (query.on-quorum-loss is fail): "
              + e.getMessage(),
          e);
    }
    LOG.debug("read at {} failed ({}); reading one replica", level, e.getMessage());
  }

  /** Whether {@code e} says too few replicas were alive or answered, so ONE may still succeed. */
  static boolean quorumLost(DriverException e) {
    return e instanceof UnavailableException
        || e instanceof QueryConsistencyException
        || e instanceof DriverTimeoutException
        || e instanceof AllNodesFailedException;
  }

  static Consistency stated(ConsistencyLevel level) {
    return level == DefaultConsistencyLevel.ONE || level == DefaultConsistencyLevel.LOCAL_ONE
        ? Consistency.ONE
        : Consistency.QUORUM;
  }
}
