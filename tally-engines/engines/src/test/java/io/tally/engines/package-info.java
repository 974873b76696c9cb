/** Proves the real engines start, serve the real clients, and survive stops and restarts. */
package io.tally.engines;
