package dev.tollgate.controlplane.stats;

import dev.tollgate.controlplane.replica.ReadConnections;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Combines the data planes' recent health reports of provider keys (provider_key_health, written by
 * the usage flush): per key, the reports of its primary-key prefix, so a read costs the key's data
 * planes, never the table. Reads the read replica when it serves.
 */
@ApplicationScoped
public class ProviderKeyHealthRepository {

  // $keys selects the provider keys (id column) whose health is answered, in id order.
  private static final String HEALTH =
      """
      SELECT p.id, count(h.provider_key_id),
             count(*) FILTER (WHERE h.circuit_state = 'open'),
             count(*) FILTER (WHERE h.circuit_state = 'half_open'),
             max(h.cooldown_until) FILTER (WHERE h.cooldown_until > ?),
             coalesce(max(h.consecutive_failures), 0), max(h.observed_at)
        FROM ($keys) p
        LEFT JOIN provider_key_health h ON h.provider_key_id = p.id AND h.observed_at >= ?
       GROUP BY p.id ORDER BY p.id
      """;

  private final ReadConnections reads;

  ProviderKeyHealthRepository(ReadConnections reads) {
    this.reads = reads;
  }

  /** The health of one provider key, whether or not it exists. */
  ProviderKeyHealthView ofKey(long providerKeyId, Instant now, Instant since) throws SQLException {
    List<ProviderKeyHealthView> found = read("SELECT ?::int8 AS id", providerKeyId, now, since);
    return found.get(0);
  }

  /** The health of every provider key of the group that is not deleted, by id. */
  List<ProviderKeyHealthView> ofGroup(long groupId, Instant now, Instant since)
      throws SQLException {
    return read(
        "SELECT id FROM provider_key WHERE group_id = ? AND status <> 'deleted'",
        groupId,
        now,
        since);
  }

  private List<ProviderKeyHealthView> read(String keys, long id, Instant now, Instant since)
      throws SQLException {
    List<ProviderKeyHealthView> views = new ArrayList<>();
    try (Connection c = reads.connection();
        PreparedStatement statement = c.prepareStatement(HEALTH.replace("$keys", keys))) {
      statement.setTimestamp(1, Timestamp.from(now));
      statement.setLong(2, id);
      statement.setTimestamp(3, Timestamp.from(since));
      try (ResultSet rows = statement.executeQuery()) {
        while (rows.next()) {
          int open = rows.getInt(3);
          int halfOpen = rows.getInt(4);
          Timestamp cooldown = rows.getTimestamp(5);
          Timestamp reported = rows.getTimestamp(7);
          views.add(
              new ProviderKeyHealthView(
                  rows.getLong(1),
                  open > 0 ? "open" : halfOpen > 0 ? "half_open" : "closed",
                  rows.getInt(2),
                  open,
                  halfOpen,
                  cooldown == null ? null : cooldown.toInstant(),
                  rows.getInt(6),
                  reported == null ? null : reported.toInstant()));
        }
      }
    }
    return views;
  }
}
