/**
 * The HTTP API (ingest, queries, health, overview) and the live dashboard on Vert.x Web, its
 * operations side (metrics, readiness, the OpenAPI description and Swagger UI: {@link
 * io.tally.server.OpsRoutes}), the server's configuration, and the wiring of the embedded mode
 * ({@link io.tally.server.EmbeddedTally}): the one place that reads the system clock and connects
 * the seams.
 */
package io.tally.server;
