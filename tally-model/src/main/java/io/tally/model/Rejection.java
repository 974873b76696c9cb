package io.tally.model;

import static java.util.Objects.requireNonNull;

/**
 * Why one event of a batch was not accepted.
 *
 * @param index zero-based position of the event in the batch (for NDJSON, among non-blank lines)
 * @param reason human-readable reason naming the field and the rule it broke
 */
public record Rejection(int index, String reason) {
  public Rejection {
    requireNonNull(reason, "reason");
  }
}
