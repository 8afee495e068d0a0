package dev.tollgate.controlplane.replica;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.agroal.api.AgroalDataSource;
import io.quarkus.agroal.DataSource;
import io.quarkus.arc.InjectableInstance;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Without TOLLGATE_DB_READ_URL (the test profile sets none) everything reads the primary. */
@QuarkusTest
class ReadsWithoutReplicaTest {

  @Inject
  @DataSource("read")
  InjectableInstance<AgroalDataSource> read;

  @Test
  void noReadUrlMeansNoSecondPoolAndReadsOnThePrimary() {
    // Given no TOLLGATE_DB_READ_URL
    // When the control plane runs
    Map<String, Object> details =
        given()
            .get("/q/health/ready")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath()
            .getMap("checks.find { it.name == 'Read replica' }.data");
    String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();

    // Then the read datasource is inactive (no pool, no connection), readiness says reads are on
    // the primary, and no replica meters exist
    assertThat(read.listActive()).isEmpty();
    assertThat(details).isEqualTo(Map.of("reads", "primary", "replica", "none"));
    assertThat(metrics).doesNotContain("tollgate_db_read_");
  }
}
