/**
 * Records what concurrent clients did to a Cleave cluster and judges it afterwards.
 *
 * <p>A chaos test records every call through a {@link io.cleave.testing.history.History} (invoke
 * before sending, complete after the answer or the timeout), quiesces the cluster, reads every key
 * once more, then runs the {@link io.cleave.testing.history.LinearizabilityChecker} (a per-key
 * Wing–Gong–Lowe search against a register model) and the cheap {@link
 * io.cleave.testing.history.HistoryInvariants} (lost acknowledged writes, phantom reads). A timeout
 * is recorded as {@code UNKNOWN}, never as a failure: an operation that timed out may still have
 * been applied, and treating it as "did not happen" is the classic source of false alarms.
 *
 * <p>Every key starts absent. Values are opaque {@link io.cleave.testing.history.Bytes}; unique
 * write values ({@code client:seq}) make lost writes attributable and keep the search cheap.
 */
package io.cleave.testing.history;
