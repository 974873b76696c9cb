/**
 * Whole-system tests: the real launcher and jar as child processes, driven over HTTP; the dashboard
 * in headless Chromium.
 */
package io.tally.it;
