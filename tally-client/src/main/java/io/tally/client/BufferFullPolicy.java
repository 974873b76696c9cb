package io.tally.client;

/** What {@link TallyClient#send} does when the buffer already holds its maximum of events. */
public enum BufferFullPolicy {
  /**
   * Wait for room up to {@code blockTimeout}; then the returned future fails with a {@link
   * BufferFullException}. The default: back-pressure reaches the caller.
   */
  BLOCK,
  /**
   * Do not wait: the returned future fails at once with a {@link BufferFullException} and {@link
   * TallyClient#droppedEvents()} counts the event.
   */
  DROP,
  /** Do not wait: {@code send} itself throws {@link BufferFullException}. */
  FAIL_FAST
}
