/** The node process: {@link io.cleave.server.KvServer} wiring and the {@code main} entry point. */
package io.cleave.server;
