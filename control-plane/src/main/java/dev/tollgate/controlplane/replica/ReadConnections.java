package dev.tollgate.controlplane.replica;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import org.hibernate.SessionFactory;
import org.hibernate.StatelessSession;

/**
 * Where the admin API's read-only endpoints get their connection: the read replica while {@link
 * ReplayLagMonitor} finds it streaming within the maximum lag, else the primary. Without
 * TOLLGATE_DB_READ_URL this is always the primary's pool, as before the replica existed.
 *
 * <p>Only reads that may be a little behind come here: lists, usage and stats, errors, the audit
 * log and the adaptive-concurrency overviews. Writes, reads inside a write, and the by-id reads an
 * operator makes right after a change (a key just created or patched) keep using the primary's pool
 * directly, so an operator always reads their own writes there.
 *
 * <p>A replica connection takes no part in the caller's JTA transaction (the "read" datasource has
 * transactions disabled) and runs in autocommit, one snapshot per statement, as the primary's READ
 * COMMITTED transaction gave each statement before.
 */
@ApplicationScoped
public class ReadConnections {

  private final AgroalDataSource primary;
  private final ReplayLagMonitor monitor;
  private final SessionFactory sessions;

  ReadConnections(AgroalDataSource primary, ReplayLagMonitor monitor, SessionFactory sessions) {
    this.primary = primary;
    this.monitor = monitor;
    this.sessions = sessions;
  }

  /**
   * A connection for a read-only endpoint; the caller closes it. When the replica should serve but
   * refuses a connection, this request and the following ones read the primary until the next
   * measurement finds the replica back.
   */
  public Connection connection() throws SQLException {
    AgroalDataSource replica = monitor.replicaForReads();
    if (replica != null) {
      try {
        return replica.getConnection();
      } catch (SQLException e) {
        monitor.unreachable(e);
      }
    }
    return primary.getConnection();
  }

  /**
   * A Hibernate session on {@code connection} for loading a page's entities where its ids were
   * read; the caller closes it before the connection. Stateless: nothing is cached, tracked or
   * flushed, so entities read from a replica never meet the primary's persistence context.
   */
  public StatelessSession entities(Connection connection) {
    return sessions.openStatelessSession(connection);
  }
}
