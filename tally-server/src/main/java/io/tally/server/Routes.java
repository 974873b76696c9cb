package io.tally.server;

import io.vertx.ext.web.Router;

/**
 * One capability's routes ({@link IngestRoutes}, {@link QueryRoutes}, {@link AttributeRoutes}),
 * mounted by {@link HttpApi} after the gate. The wiring of each mode picks, per role, either the
 * capability or its {@code absent()} routes, which answer 404 naming the missing role.
 */
interface Routes {
  void mount(Router router);
}
