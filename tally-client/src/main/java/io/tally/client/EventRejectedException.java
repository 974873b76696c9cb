package io.tally.client;

/**
 * The server refused this event (it is invalid: bad entity, too old, unknown field, …) and did not
 * store it; {@link #reason()} is the server's words. Never retried: resending it would be refused
 * again. The other events of its batch are unaffected.
 */
public final class EventRejectedException extends TallyClientException {
  private static final long serialVersionUID = 1L;
  private final String eventId;
  private final String reason;

  public EventRejectedException(String eventId, String reason) {
    super("event " + eventId + " rejected: " + reason);
    this.eventId = eventId;
    this.reason = reason;
  }

  public String eventId() {
    return eventId;
  }

  /** The server's reason, as in the {@code rejected} list of docs/api.md. */
  public String reason() {
    return reason;
  }
}
