package io.cleave.cli;

/** The {@code -w/--write-out} formats, as etcdctl names them; one {@link Printer} each. */
public enum OutputFormat {
  simple(new Printer.Simple()),
  table(new Printer.Table()),
  json(new Printer.Json());

  private final Printer printer;

  OutputFormat(Printer printer) {
    this.printer = printer;
  }

  /** The printer of this format. */
  public Printer printer() {
    return printer;
  }
}
