package io.tally.server.security;

import io.tally.core.auth.ApiKey;
import io.tally.core.auth.KeyRing;
import io.tally.core.auth.Scope;
import io.tally.model.TallyException;
import io.tally.server.http.RequestBody;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * Key management over HTTP (admin scope; the gate checks it, the audit log records each call),
 * which is what {@code tally keys} uses while a server runs:
 *
 * <ul>
 *   <li>{@code POST /v1/admin/keys} {@code {"name":…, "scopes":["ingest",…]}} or, for a browser
 *       key, {@code {"name":…, "kind":"publishable", "origins":[…], "entityPrefixes":[…]}} → 201
 *       with the record and {@code "key"}, the token, shown this once;
 *   <li>{@code GET /v1/admin/keys} → {@code {"keys":[…]}}, records without tokens;
 *   <li>{@code DELETE /v1/admin/keys/{id}} → 200 with the revoked record, 404 if unknown.
 * </ul>
 *
 * Store calls run on worker threads. Thread-safe.
 */
final class AdminKeyRoutes {
  private static final int MAX_BODY_BYTES = 16 * 1024;
  private static final Set<String> FIELDS =
      Set.of("name", "scopes", "kind", "origins", "entityPrefixes");

  private final Vertx vertx;
  private final KeyRing ring;

  private AdminKeyRoutes(Vertx vertx, KeyRing ring) {
    this.vertx = vertx;
    this.ring = ring;
  }

  static void mount(Router router, Vertx vertx, KeyRing ring) {
    AdminKeyRoutes routes = new AdminKeyRoutes(vertx, ring);
    router
        .post("/v1/admin/keys")
        .handler(RequestBody.limitedTo(MAX_BODY_BYTES))
        .handler(routes::create);
    router.get("/v1/admin/keys").handler(routes::list);
    router.delete("/v1/admin/keys/:id").handler(routes::revoke);
  }

  private void create(RoutingContext ctx) {
    String name;
    ApiKey.Kind kind;
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    List<String> origins;
    List<String> prefixes;
    try {
      byte[] body = RequestBody.bytes(ctx);
      JsonObject req = body.length == 0 ? null : new JsonObject(Buffer.buffer(body));
      if (req == null) {
        SecurityGate.refuse(ctx, 400, "body must be a JSON object {\"name\":…,\"scopes\":[…]}");
        return;
      }
      for (String f : req.fieldNames()) {
        if (!FIELDS.contains(f)) {
          SecurityGate.refuse(
              ctx,
              400,
              "unknown field '" + AuditLog.clean(f) + "'; allowed: " + String.join(", ", FIELDS));
          return;
        }
      }
      name = req.getString("name");
      String k = req.getString("kind", "secret");
      kind =
          switch (k) {
            case "secret" -> ApiKey.Kind.SECRET;
            case "publishable" -> ApiKey.Kind.PUBLISHABLE;
            default -> throw new IllegalArgumentException("kind must be 'secret' or 'publishable'");
          };
      for (String s : strings(req, "scopes")) {
        scopes.add(Scope.parse(s));
      }
      if (kind == ApiKey.Kind.PUBLISHABLE && scopes.isEmpty()) {
        scopes.add(Scope.INGEST);
      }
      origins = strings(req, "origins");
      prefixes = strings(req, "entityPrefixes");
      if (name == null) {
        throw new IllegalArgumentException("name is required");
      }
    } catch (DecodeException | ClassCastException | IllegalArgumentException e) {
      SecurityGate.refuse(ctx, 400, e.getMessage());
      return;
    }
    blocking(
        ctx,
        () -> {
          KeyRing.Created created = ring.create(name, kind, scopes, origins, prefixes);
          ctx.put(
              AuditLog.DETAIL,
              "created key " + created.key().id() + " (" + name + ") " + describe(created.key()));
          return new Answer(201, json(created.key()).put("key", created.token()));
        });
  }

  private void list(RoutingContext ctx) {
    blocking(
        ctx,
        () -> {
          JsonArray keys = new JsonArray();
          ring.list().forEach(k -> keys.add(json(k)));
          return new Answer(200, new JsonObject().put("keys", keys));
        });
  }

  private void revoke(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    blocking(
        ctx,
        () -> {
          var revoked = ring.revoke(id);
          if (revoked.isEmpty()) {
            return new Answer(
                404,
                new JsonObject().put("error", "no API key with id '" + AuditLog.clean(id) + "'"));
          }
          ctx.put(AuditLog.DETAIL, "revoked key " + id + " (" + revoked.get().name() + ")");
          return new Answer(200, json(revoked.get()));
        });
  }

  private record Answer(int status, JsonObject body) {}

  private void blocking(RoutingContext ctx, Callable<Answer> work) {
    vertx
        .executeBlocking(work, false)
        .onComplete(
            r -> {
              if (r.succeeded()) {
                ctx.response()
                    .setStatusCode(r.result().status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                    .end(r.result().body().encode());
              } else if (r.cause() instanceof IllegalArgumentException e) {
                SecurityGate.refuse(ctx, 400, e.getMessage());
              } else if (r.cause() instanceof TallyException e) {
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
                SecurityGate.refuse(ctx, 503, "the key store is unavailable: " + e.getMessage());
              } else {
                ctx.fail(r.cause());
              }
            });
  }

  private static List<String> strings(JsonObject req, String field) {
    Object v = req.getValue(field);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof JsonArray array)) {
      throw new IllegalArgumentException(field + " must be an array of strings");
    }
    for (Object o : array) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException(field + " must be an array of strings");
      }
      out.add(s);
    }
    return out;
  }

  private static String describe(ApiKey k) {
    return k.kind().name().toLowerCase(java.util.Locale.ROOT)
        + " scopes="
        + k.scopes().stream().map(Scope::wireName).sorted().toList()
        + (k.origins().isEmpty()
            ? ""
            : " origins=" + k.origins() + " entityPrefixes=" + k.entityPrefixes());
  }

  /** A key's record as JSON: never its hash or token. */
  static JsonObject json(ApiKey k) {
    JsonObject o =
        new JsonObject()
            .put("id", k.id())
            .put("name", k.name())
            .put("kind", k.kind().name().toLowerCase(java.util.Locale.ROOT))
            .put(
                "scopes", new JsonArray(k.scopes().stream().map(Scope::wireName).sorted().toList()))
            .put("createdAt", Instant.ofEpochMilli(k.createdAtMillis()).toString())
            .put("revoked", k.revoked());
    if (k.kind() == ApiKey.Kind.PUBLISHABLE) {
      o.put("origins", new JsonArray(k.origins()))
          .put("entityPrefixes", new JsonArray(k.entityPrefixes()));
    }
    if (k.revoked()) {
      o.put("revokedAt", Instant.ofEpochMilli(k.revokedAtMillis()).toString());
    }
    return o;
  }
}
