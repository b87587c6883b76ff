/**
 * The {@code cleave} command: a local dev cluster ({@code cleave dev}), data commands ({@code put},
 * {@code get}, {@code del}, {@code scan}) and admin commands ({@code status}, {@code keyspace ...},
 * {@code shard ...}) in the style of etcdctl. Every command is one class; every output format is
 * one {@link io.cleave.cli.Printer}; every failure becomes one line on stderr in {@link
 * io.cleave.cli.ErrorReporter}.
 */
package io.cleave.cli;
