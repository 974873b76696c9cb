/**
 * Ingest admission shared by every mode: validate each event, route it to its partition, bound the
 * work in flight, and append to the log, answering only once the log says durable.
 */
package io.tally.core.ingest;
