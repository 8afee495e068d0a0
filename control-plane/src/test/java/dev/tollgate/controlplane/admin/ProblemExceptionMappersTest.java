package dev.tollgate.controlplane.admin;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.ws.rs.core.Response;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import org.junit.jupiter.api.Test;

class ProblemExceptionMappersTest {

  private final ProblemExceptionMappers mappers = new ProblemExceptionMappers();

  @Test
  void answersServiceUnavailableWithRetryAfterWhenTheDatabaseIsUnreachable() {
    // Given the failures a lost or refused database connection surfaces as, wrapped as ORM and
    // pool layers wrap them
    for (Throwable cause :
        new Throwable[] {
          new SQLException("connection refused", "08001"),
          new SQLException("terminating connection due to administrator command", "57P01"),
          new SQLTransientConnectionException(
              "Acquisition timeout while waiting for new connection")
        }) {
      // When
      Response response = mappers.unexpected(new RuntimeException(new RuntimeException(cause)));

      // Then
      assertThat(response.getStatus()).isEqualTo(503);
      assertThat(response.getHeaderString("Retry-After")).isEqualTo("5");
      assertThat(((Problem) response.getEntity()).detail()).contains("database is unreachable");
    }
  }

  @Test
  void answersInternalErrorWithoutDetailsForAnyOtherFailure() {
    Response response =
        mappers.unexpected(new IllegalStateException(new SQLException("syntax error", "42601")));

    assertThat(response.getStatus()).isEqualTo(500);
    assertThat(((Problem) response.getEntity()).detail()).doesNotContain("syntax");
  }
}
