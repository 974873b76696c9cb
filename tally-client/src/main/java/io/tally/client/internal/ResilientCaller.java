package io.tally.client.internal;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.tally.client.ClientListener;
import io.tally.client.RequestFailedException;
import io.tally.client.TallyClientException;
import io.tally.model.json.AnswerJsonReader;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One logical request with retries (Resilience4j {@link Retry}, {@link FullJitterBackoff}) over the
 * {@link NodePool}: each attempt takes the next node whose breaker permits, sends the same payload,
 * and reports to that node's breaker (a timeout, connection error, 408 or 5xx is a failure; any
 * other answer a success, since the node is up — including 429, which refuses this client, and
 * 401/403, which refuse its key). Only {@link RetriableException}s are retried, after at least the
 * server's {@code Retry-After} when it sent one; anything else fails the request at once.
 *
 * <p>Thread-safe; retries are scheduled on the given scheduler.
 */
public final class ResilientCaller {
  /**
   * Reads an answer; throws {@link RetriableException} or a {@link TallyClientException} for a
   * failure.
   */
  public interface Interpreter<T> extends Function<HttpTransport.Response, T> {}

  private final NodePool nodes;
  private final HttpTransport transport;
  private final Retry retry;
  private final ScheduledExecutorService scheduler;
  private final int maxAttempts;
  private final ClientListener listener;

  public ResilientCaller(
      ClientConfig config,
      NodePool nodes,
      HttpTransport transport,
      ScheduledExecutorService scheduler) {
    this.nodes = nodes;
    this.transport = transport;
    this.scheduler = scheduler;
    this.maxAttempts = config.maxAttempts();
    this.retry =
        Retry.of(
            "tally",
            RetryConfig.custom()
                .maxAttempts(config.maxAttempts())
                .intervalBiFunction(
                    new FullJitterBackoff(config.initialBackoff(), config.maxBackoff()))
                .retryOnException(e -> e instanceof RetriableException)
                .build());
    this.listener = config.listener();
    retry
        .getEventPublisher()
        .onRetry(
            e ->
                listener.onRetry(
                    e.getNumberOfRetryAttempts(), e.getWaitInterval(), e.getLastThrowable()));
  }

  /**
   * Sends until an answer is interpreted without a retriable failure or the attempts are spent.
   * Fails with {@link RequestFailedException} (attempts spent; the cause is the last failure) or
   * whatever non-retriable {@link TallyClientException} the interpreter threw.
   *
   * @param body null for a GET
   */
  public <T> CompletableFuture<T> call(
      String pathAndQuery, HttpTransport.Payload body, Interpreter<T> interpreter) {
    return retry
        .executeCompletionStage(scheduler, () -> attempt(pathAndQuery, body, interpreter))
        .toCompletableFuture()
        .handle(
            (value, failure) -> {
              if (failure == null) {
                return value;
              }
              Throwable cause =
                  failure instanceof CompletionException && failure.getCause() != null
                      ? failure.getCause()
                      : failure;
              if (cause instanceof RetriableException r) {
                throw new RequestFailedException(
                    "gave up after " + maxAttempts + " attempts: " + r.getMessage(), r.status(), r);
              }
              if (cause instanceof TallyClientException t) {
                throw t;
              }
              throw new TallyClientException("request failed: " + cause, cause);
            });
  }

  private <T> CompletableFuture<T> attempt(
      String pathAndQuery, HttpTransport.Payload body, Interpreter<T> interpreter) {
    CompletableFuture<T> outcome = new CompletableFuture<>();
    NodePool.Node node;
    try {
      node = nodes.acquire();
    } catch (RetriableException e) {
      outcome.completeExceptionally(e);
      return outcome;
    }
    long start = System.nanoTime();
    transport
        .send(node.uri(), pathAndQuery, body)
        .whenComplete(
            (response, error) -> {
              long elapsed = System.nanoTime() - start;
              report(node, pathAndQuery, error != null ? 0 : response.status(), elapsed);
              if (error != null) {
                Throwable cause =
                    error instanceof CompletionException && error.getCause() != null
                        ? error.getCause()
                        : error;
                node.breaker().onError(elapsed, TimeUnit.NANOSECONDS, cause);
                outcome.completeExceptionally(
                    new RetriableException(node.uri() + ": " + cause, 0, cause));
                return;
              }
              try {
                T value = interpreter.apply(response);
                node.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
                outcome.complete(value);
              } catch (RetriableException e) {
                if (e.status() == 429) {
                  node.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
                } else {
                  node.breaker().onError(elapsed, TimeUnit.NANOSECONDS, e);
                }
                outcome.completeExceptionally(e);
              } catch (RuntimeException e) {
                node.breaker().onSuccess(elapsed, TimeUnit.NANOSECONDS);
                outcome.completeExceptionally(e);
              }
            });
    return outcome;
  }

  /** Tells the listener; a listener that throws must not leave the request without an outcome. */
  private void report(NodePool.Node node, String pathAndQuery, int status, long elapsedNanos) {
    try {
      listener.onAttempt(node.uri(), path(pathAndQuery), status, Duration.ofNanos(elapsedNanos));
    } catch (RuntimeException e) {
      // the listener's defect is its own; the request goes on
    }
  }

  private static String path(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
  }

  /**
   * Throws {@link RetriableException} for 408, 429 and 5xx (carrying the answer's {@code
   * Retry-After}), else {@link RequestFailedException} with the server's reason for any status
   * other than {@code expected} — e.g. 401 (no, unknown or revoked key) and 403 (the key lacks the
   * scope), which no retry can fix.
   */
  public static void requireStatus(HttpTransport.Response response, int expected) {
    int status = response.status();
    if (status == expected) {
      return;
    }
    String reason = AnswerJsonReader.errorReason(response.body());
    String message = "HTTP " + status + (reason != null ? ": " + reason : "");
    if (status == 408 || status == 429 || status >= 500) {
      throw new RetriableException(message, status, response.retryAfterMillis(), null);
    }
    throw new RequestFailedException(message, status, null);
  }
}
