/**
 * Whole-system tests: the real launcher and jar as child processes, driven over HTTP; the dashboard
 * in headless Chromium; and the cluster pipeline in process across real Kafka and Cassandra (the
 * one place where tally-kafka's materializer meets tally-cassandra's sink).
 */
package io.tally.it;
