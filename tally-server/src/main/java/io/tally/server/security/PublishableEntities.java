package io.tally.server.security;

import io.tally.core.auth.ApiKey;
import io.tally.model.Event;
import io.tally.model.json.EventJsonReader;
import io.tally.model.json.MalformedBodyException;
import io.tally.server.http.RequestBody;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.RoutingContext;
import java.util.Locale;

/**
 * Holds a publishable key to its entity prefixes: runs after the body is read and before ingest,
 * and refuses the whole batch with 403 (naming the first event's index) when any event's entity
 * does not start with one of the key's prefixes, so a page can never write to entities it was not
 * made for. A body that does not parse is answered 400 here, as ingest would. Requests with other
 * keys pass untouched. Stateless and thread-safe.
 */
final class PublishableEntities {
  private PublishableEntities() {}

  static void check(RoutingContext ctx) {
    ApiKey key = ctx.get(SecurityGate.KEY);
    byte[] bytes = RequestBody.bytes(ctx);
    if (key == null || key.kind() != ApiKey.Kind.PUBLISHABLE || bytes.length == 0) {
      ctx.next();
      return;
    }
    Outside outside = new Outside(key);
    try {
      String ct = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
      if (isNdjson(ct)) {
        EventJsonReader.readNdjson(bytes, 0, bytes.length, 0, outside);
      } else {
        EventJsonReader.readJson(bytes, 0, bytes.length, 0, outside);
      }
    } catch (MalformedBodyException e) {
      SecurityGate.refuse(ctx, 400, e.getMessage());
      return;
    }
    if (outside.index >= 0) {
      SecurityGate.refuse(
          ctx,
          403,
          "event "
              + outside.index
              + ": entity '"
              + AuditLog.clean(outside.entity)
              + "' is outside the entity prefixes of publishable key "
              + key.id()
              + " "
              + key.entityPrefixes());
      return;
    }
    ctx.next();
  }

  /** The same rule as ingest's, so both read a body the same way. */
  private static boolean isNdjson(String contentType) {
    if (contentType == null) {
      return false;
    }
    String ct = contentType.toLowerCase(Locale.ROOT);
    return ct.startsWith("application/x-ndjson")
        || ct.startsWith("application/ndjson")
        || ct.startsWith("application/jsonl");
  }

  /** Remembers the first event whose entity no prefix covers. */
  private static final class Outside implements EventJsonReader.Sink {
    private final ApiKey key;
    int index = -1;
    String entity;

    Outside(ApiKey key) {
      this.key = key;
    }

    @Override
    public void event(int i, Event event) {
      if (index >= 0) {
        return;
      }
      for (String prefix : key.entityPrefixes()) {
        if (event.entity().startsWith(prefix)) {
          return;
        }
      }
      index = i;
      entity = event.entity();
    }

    @Override
    public void rejected(int i, String reason) {}
  }
}
