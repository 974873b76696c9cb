/**
 * Records and the JSON wire format that every part of Tally shares, the Java SDK included: the
 * {@link io.tally.model.Event}, bucket {@link io.tally.model.Granularity granularities}, ingest
 * answers and query results, and the streaming codecs between them and JSON.
 *
 * <p>This module depends on nothing of ours and only on Jackson's streaming core, so the SDK can
 * use it without pulling in the server.
 */
package io.tally.model;
