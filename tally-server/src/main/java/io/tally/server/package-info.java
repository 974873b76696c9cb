/**
 * The HTTP API on Vert.x Web, by capability: {@link io.tally.server.IngestRoutes}, {@link
 * io.tally.server.QueryRoutes}, {@link io.tally.server.AttributeRoutes}, mounted by role on {@link
 * io.tally.server.HttpApi}, with every error answered by {@link io.tally.server.ErrorAnswers}; the
 * overview and the live dashboard; its operations side (metrics, readiness, the OpenAPI description
 * and Swagger UI: {@link io.tally.server.OpsRoutes}), the server's configuration, and the wiring of
 * the embedded mode ({@link io.tally.server.EmbeddedTally}): the one place that reads the system
 * clock and connects the seams.
 */
package io.tally.server;
