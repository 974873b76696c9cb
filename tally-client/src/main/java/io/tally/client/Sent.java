package io.tally.client;

import static java.util.Objects.requireNonNull;

/**
 * A stored event: its id, and the position of the batch it was stored in. Give the position to a
 * query as {@code after} to read your own write: the query answers once the event is counted
 * (docs/client.md, read-your-writes).
 *
 * @param id the event's id (the caller's, or the UUIDv7 the client gave it)
 * @param position the opaque position token of the request that stored it; null only from a server
 *     that predates positions
 */
public record Sent(String id, String position) {
  public Sent {
    requireNonNull(id, "id");
  }
}
