package dev.tollgate.controlplane.ratelimit;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

import dev.tollgate.controlplane.admin.AdminApi;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

@QuarkusTest
@TestProfile(RpmStatusWithoutRedisTest.RedisUnreachable.class)
class RpmStatusWithoutRedisTest {

  /** Port 1 on loopback: nothing listens, so every connection is refused at once. */
  public static class RedisUnreachable implements QuarkusTestProfile {
    @Override
    public Map<String, String> getConfigOverrides() {
      return Map.of("quarkus.redis.hosts", "redis://127.0.0.1:1");
    }
  }

  @Test
  void rpmStatusAnswers503NamingRedisWhenItIsUnreachable() {
    // Given a key (the admin API works without Redis)
    long user = AdminApi.createUser();
    long key = AdminApi.createKey(user, List.of(AdminApi.createGroup())).getLong("id");

    // When / Then
    asOperator()
        .get("/admin/v1/keys/" + key + "/rpm-status")
        .then()
        .statusCode(503)
        .contentType("application/problem+json")
        .body("status", equalTo(503))
        .body("detail", containsString("Redis"));
  }

  @Test
  void controlPlaneStaysReadyWithoutRedis() {
    io.restassured.RestAssured.given().get("/q/health/ready").then().statusCode(200);
  }
}
