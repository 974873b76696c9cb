/**
 * Top-K over sliding windows, shared by both modes: per partition, the minute deltas of each event
 * type feed a frequent-items sketch (Apache DataSketches) per window slot ({@link
 * io.tally.core.topk.TopKSlots}); a query merges the slots of every partition that the window
 * covers ({@link io.tally.core.topk.TopKService}) through the read-only {@link
 * io.tally.core.topk.TopKStore} each mode implements.
 */
package io.tally.core.topk;
