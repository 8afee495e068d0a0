package dev.tollgate.controlplane.usage;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.tollgate.proto.usage.v1.FlushRequest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * Writes {@link DeadLetter}s into {@code flush_dead_letter}, in the transaction that applies the
 * rest of their batch: a dead letter exists exactly when its batch counts as applied.
 *
 * <p>The item is kept as the proto3 JSON of the message as received, escaped to plain ASCII: a NUL
 * or an unpaired surrogate in one of its strings, the very things that may have made it a dead
 * letter, becomes a {@code \\u} escape that PostgreSQL stores as text like any other.
 */
final class DeadLetters {

  private static final String INSERT =
      """
      INSERT INTO flush_dead_letter (dp_instance_id, sequence, part, item_index, reason, detail,
             item)
      SELECT ?, ?, part, item_index, reason, detail, item
        FROM unnest(?::text[], ?::int4[], ?::text[], ?::text[], ?::text[])
             WITH ORDINALITY AS u(part, item_index, reason, detail, item, n)
       ORDER BY n
      """;

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer()
          .preservingProtoFieldNames()
          .alwaysPrintFieldsWithNoPresence()
          .omittingInsignificantWhitespace();

  private DeadLetters() {}

  static void insert(
      Connection connection, PGConnection pg, FlushRequest batch, List<DeadLetter> deadLetters)
      throws SQLException {
    if (deadLetters.isEmpty()) {
      return;
    }
    try (PreparedStatement statement = connection.prepareStatement(INSERT)) {
      statement.setString(1, batch.getDpInstanceId());
      statement.setLong(2, batch.getSequence());
      statement.setArray(
          3, pg.createArrayOf("text", deadLetters.stream().map(d -> d.part().name).toArray()));
      statement.setArray(
          4, pg.createArrayOf("int4", deadLetters.stream().mapToInt(DeadLetter::index).toArray()));
      statement.setArray(
          5, pg.createArrayOf("text", deadLetters.stream().map(d -> d.reason().name).toArray()));
      statement.setArray(
          6, pg.createArrayOf("text", deadLetters.stream().map(d -> ascii(d.detail())).toArray()));
      statement.setArray(
          7, pg.createArrayOf("text", deadLetters.stream().map(d -> json(d.item())).toArray()));
      statement.executeUpdate();
    }
  }

  /** The item as proto3 JSON, with every character outside printable ASCII escaped. */
  static String json(Message item) {
    try {
      return ascii(PRINTER.print(item));
    } catch (InvalidProtocolBufferException e) {
      // Only for Any fields without a type registry; usage.proto has none.
      throw new IllegalStateException("cannot print " + item.getDescriptorForType().getName(), e);
    }
  }

  /**
   * {@code text} with each UTF-16 unit outside printable ASCII written as a JSON {@code \\uXXXX}
   * escape. Inside JSON strings that is the same text; the details, plain ASCII already, pass
   * unchanged.
   */
  static String ascii(String text) {
    StringBuilder out = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c >= 0x20 && c < 0x7F) {
        if (out != null) {
          out.append(c);
        }
        continue;
      }
      if (out == null) {
        out = new StringBuilder(text.length() + 16).append(text, 0, i);
      }
      out.append("\\u%04x".formatted((int) c));
    }
    return out == null ? text : out.toString();
  }
}
