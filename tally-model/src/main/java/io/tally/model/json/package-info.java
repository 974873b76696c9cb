/**
 * The JSON wire format: a streaming reader for ingest bodies (a JSON array, a single object, or
 * NDJSON) and writers for events and query answers. Built on Jackson's streaming API only, so a 4
 * MiB batch is parsed without building a tree.
 */
package io.tally.model.json;
