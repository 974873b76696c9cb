package io.tally.server;

import static java.util.Objects.requireNonNull;

import io.tally.core.enrich.AttributeService;
import io.tally.model.json.AttributesJson;
import io.tally.model.json.MalformedBodyException;
import io.tally.server.http.RequestBody;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code PUT}, {@code GET}, {@code DELETE /v1/entities/{entity}/attributes}: an entity's attributes
 * for enrichment ({@link AttributeService}; docs/api.md). Store reads and writes block, so each
 * runs on a worker thread. Thread-safe.
 */
final class AttributeRoutes implements Routes {
  static final String PATH = "/v1/entities/:entity/attributes";

  /** 32 attributes of at most 64 + 128 characters fit with room for JSON escapes. */
  private static final int MAX_BODY_BYTES = 64 * 1024;

  private static final long WAIT_SECONDS = 30;
  private static final String UNAVAILABLE = "the attributes are unavailable";

  private final AttributeService attributes;
  private final boolean deriving;

  /**
   * @param deriving whether this server derives entities ({@code --derive}); without it a {@code
   *     PUT} would have no effect and is refused with 409
   */
  AttributeRoutes(AttributeService attributes, boolean deriving) {
    this.attributes = requireNonNull(attributes, "attributes");
    this.deriving = deriving;
  }

  /** A node that serves no attribute routes: 404 naming the roles that do. */
  static Routes absent() {
    return router ->
        router
            .route(PATH)
            .handler(
                ctx ->
                    ErrorAnswers.error(
                        ctx, 404, "this node runs without the ingest or query role"));
  }

  @Override
  public void mount(Router router) {
    router.put(PATH).handler(RequestBody.limitedTo(MAX_BODY_BYTES)).handler(this::put);
    router.get(PATH).handler(this::get);
    router.delete(PATH).handler(this::delete);
  }

  private void put(RoutingContext ctx) {
    if (!deriving) {
      ErrorAnswers.error(
          ctx,
          409,
          "attributes would have no effect: this server runs without --derive, so no attribute"
              + " derives an entity; start it with --derive <attribute>");
      return;
    }
    String entity = ctx.pathParam("entity");
    Map<String, String> given;
    try {
      given = AttributesJson.read(RequestBody.bytes(ctx));
    } catch (MalformedBodyException e) {
      ErrorAnswers.error(ctx, 400, e.getMessage());
      return;
    }
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          attributes.put(entity, given).get(WAIT_SECONDS, TimeUnit.SECONDS);
          return AttributesJson.write(given);
        },
        UNAVAILABLE);
  }

  private void get(RoutingContext ctx) {
    String entity = ctx.pathParam("entity");
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          Map<String, String> found = attributes.get(entity);
          if (found.isEmpty()) {
            throw new ErrorAnswers.NotFoundException(entity + " has no attributes");
          }
          return AttributesJson.write(found);
        },
        UNAVAILABLE);
  }

  private void delete(RoutingContext ctx) {
    String entity = ctx.pathParam("entity");
    ErrorAnswers.fromWorker(
        ctx,
        () -> {
          attributes.delete(entity).get(WAIT_SECONDS, TimeUnit.SECONDS);
          return null;
        },
        UNAVAILABLE);
  }
}
