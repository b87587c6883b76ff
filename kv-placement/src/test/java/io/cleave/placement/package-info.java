/** Table tests of the placement policy's rules, one table per rule. */
package io.cleave.placement;
