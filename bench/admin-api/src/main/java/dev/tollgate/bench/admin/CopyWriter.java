package dev.tollgate.bench.admin;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Streams rows into one table through {@code COPY … FROM STDIN} (PostgreSQL's text format: tab
 * between columns, {@code \N} for NULL), so millions of rows cost one statement and no per-row
 * round trip. One row is built at a time with the {@code add…} methods and closed with {@link
 * #end()}.
 */
final class CopyWriter implements AutoCloseable {

  private final PGCopyOutputStream stream;
  private final BufferedWriter out;
  private final StringBuilder line = new StringBuilder(512);
  private int column;
  private long rows;

  CopyWriter(Connection connection, String table, String columns) throws SQLException {
    this.stream =
        new PGCopyOutputStream(
            connection.unwrap(PGConnection.class),
            "COPY " + table + " (" + columns + ") FROM STDIN",
            1 << 16);
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
  }

  CopyWriter add(long value) {
    sep().append(value);
    return this;
  }

  CopyWriter add(double value) {
    sep().append(value);
    return this;
  }

  CopyWriter add(Instant value) {
    if (value == null) {
      return addNull();
    }
    sep().append(value);
    return this;
  }

  CopyWriter add(String value) {
    if (value == null) {
      return addNull();
    }
    sep();
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> line.append("\\\\");
        case '\t' -> line.append("\\t");
        case '\n' -> line.append("\\n");
        case '\r' -> line.append("\\r");
        default -> line.append(c);
      }
    }
    return this;
  }

  /** A text[] literal; the elements must need no quoting (the seeder's names never do). */
  CopyWriter addArray(List<String> values) {
    sep().append('{');
    for (int i = 0; i < values.size(); i++) {
      if (i > 0) {
        line.append(',');
      }
      line.append(values.get(i));
    }
    line.append('}');
    return this;
  }

  /** A bytea in hex form; the backslash is doubled because COPY's text format unescapes once. */
  CopyWriter addBytes(byte[] value) {
    sep().append("\\\\x");
    for (byte b : value) {
      line.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return this;
  }

  CopyWriter addNull() {
    sep().append("\\N");
    return this;
  }

  void end() {
    line.append('\n');
    try {
      out.append(line);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    line.setLength(0);
    column = 0;
    rows++;
  }

  long rows() {
    return rows;
  }

  private StringBuilder sep() {
    if (column++ > 0) {
      line.append('\t');
    }
    return line;
  }

  /** Ends the COPY; the rows are in the table once this returns (autocommit). */
  @Override
  public void close() throws IOException {
    out.close();
  }
}
