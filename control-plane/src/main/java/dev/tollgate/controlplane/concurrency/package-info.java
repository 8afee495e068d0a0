/**
 * Reads of the provider keys' concurrency limits for operators: which keys learn their limit
 * (max_concurrent NULL), what they learned, their 429s by kind, and the history of adjustments the
 * data planes reported (written by the usage flush into concurrency_adjustment). Switching the mode
 * and resetting the learning are mutations of the provider-key resource, not of this package.
 */
package dev.tollgate.controlplane.concurrency;
