/**
 * Enrichment (the design's embedded DB): entity attributes, and the derived entities events also
 * count under. An event on {@code video:42} whose attributes include a configured name ({@code
 * --derive channel}) with value {@code c1} also counts, with the same type, time and value, for
 * {@code channel:c1}, so "views per channel" is an ordinary query.
 *
 * <ul>
 *   <li>{@link io.tally.core.enrich.AttributeStore}: the read seam processors use; a {@link
 *       io.tally.core.enrich.WritableAttributeStore} is the local copy behind it (RocksDB);
 *   <li>{@link io.tally.core.enrich.AttributePublisher}: how a change is made durable in each mode
 *       (a local write, or a record of the cluster's compacted attributes topic);
 *   <li>{@link io.tally.core.enrich.AttributeService}: validation in front of both, for the HTTP
 *       API ({@link io.tally.core.enrich.AttributeRules} lists the limits);
 *   <li>{@link io.tally.core.enrich.DerivedEntities}: which attribute names derive entities, and
 *       how derived counts are stored: sharded by the source partition, {@code channel:c1~p};
 *   <li>{@link io.tally.core.enrich.Enrichment}: the one place both modes' processors add an event
 *       and its derived copies to the aggregator.
 * </ul>
 *
 * <p>An event counts under the attributes in effect when a processor handles it. A change applies
 * to events processed after it; a replay after a crash re-reads current attributes, which can only
 * move events whose deltas were never committed.
 */
package io.tally.core.enrich;
