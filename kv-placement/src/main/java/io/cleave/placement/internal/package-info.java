/**
 * Implementation of the placement policy: routing-space arithmetic, policy defaults and split-point
 * choice. Not API: the server calls {@link io.cleave.placement.SplitMergeDecider} only.
 */
package io.cleave.placement.internal;
