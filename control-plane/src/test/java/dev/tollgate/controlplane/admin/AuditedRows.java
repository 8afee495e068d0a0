package dev.tollgate.controlplane.admin;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/** Reads what a refused request must not have changed: a table's rows and the audit log. */
final class AuditedRows {

  private final DataSource dataSource;

  AuditedRows(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** The newest audit entry's id (0 when none): unchanged means nothing was audited since. */
  long lastAuditId() throws SQLException {
    return scalar("SELECT coalesce(max(id), 0) FROM audit_log");
  }

  long count(String table) throws SQLException {
    return scalar("SELECT count(*) FROM " + table);
  }

  private long scalar(String sql) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement();
        ResultSet rows = s.executeQuery(sql)) {
      rows.next();
      return rows.getLong(1);
    }
  }
}
