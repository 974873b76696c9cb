package io.tally.core.topk;

import io.tally.core.enrich.DerivedEntities;

/**
 * Which entities one ranking holds: a ranking is of one kind of entity, so derived entities never
 * mix into the ranking of their members (DESIGN.md, Top-K).
 *
 * <ul>
 *   <li>No prefix: every plain (not derived) entity.
 *   <li>A prefix that starts with a derived {@code name:} (e.g. {@code channel:} under {@code
 *       --derive channel}): the derived entities starting with it.
 *   <li>Any other prefix (e.g. {@code video:}, or {@code chan}): the plain entities starting with
 *       it.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 *
 * @param prefix the entities' common start, or null for every plain entity
 * @param derived whether the ranking holds derived entities (else plain ones)
 * @param derivation the server's derived entities, which decide what is derived
 */
record TopKNamespace(String prefix, boolean derived, DerivedEntities derivation) {

  /** The namespace that {@code prefix} (null: none given) names on a server deriving {@code d}. */
  static TopKNamespace of(String prefix, DerivedEntities d) {
    return new TopKNamespace(prefix, prefix != null && d.isDerived(prefix), d);
  }

  /** Whether {@code entity} (a ranked entity name, never a shard row) ranks here. */
  boolean contains(String entity) {
    return derivation.isDerived(entity) == derived && (prefix == null || entity.startsWith(prefix));
  }
}
