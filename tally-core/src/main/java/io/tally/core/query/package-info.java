/** The query side: parameter checking and the getStats / total answers, over a read-only store. */
package io.tally.core.query;
