/** The node's one typed, validated configuration. */
package io.cleave.server.config;
