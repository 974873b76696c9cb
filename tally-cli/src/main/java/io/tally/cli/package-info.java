/** The {@code tally} command line (picocli): serve, send, stats, total. */
package io.tally.cli;
