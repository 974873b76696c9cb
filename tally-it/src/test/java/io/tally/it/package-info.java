/** Whole-system tests: the real launcher and jar as child processes, driven over HTTP. */
package io.tally.it;
