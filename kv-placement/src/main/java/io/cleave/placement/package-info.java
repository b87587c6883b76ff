/**
 * Placement policy: pure decisions from a {@link io.cleave.placement.ClusterView} to {@link
 * io.cleave.placement.PlacementOperation}s.
 *
 * <p>This package owns what to split, merge or report and where to cut; the meta leader's placement
 * controller owns when to ask (its loop and clock) and how to carry the operations out. Nothing
 * here does I/O, reads a clock or draws random numbers, so every rule is tested with tables and
 * with a simulated cluster far larger than one machine.
 */
package io.cleave.placement;
