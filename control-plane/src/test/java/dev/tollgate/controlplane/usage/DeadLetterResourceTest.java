package dev.tollgate.controlplane.usage;

import static dev.tollgate.controlplane.usage.UsageFixtures.batch;
import static dev.tollgate.controlplane.usage.UsageFixtures.counters;
import static dev.tollgate.controlplane.usage.UsageFixtures.keyDelta;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

import dev.tollgate.proto.usage.v1.Counters;
import dev.tollgate.proto.usage.v1.UsageBucket;
import io.agroal.api.AgroalDataSource;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

@QuarkusTest
class DeadLetterResourceTest {

  private static final String ADMIN = "Bearer test-admin-token";

  @Inject UsageFlushService flushes;
  @Inject AgroalDataSource dataSource;
  @Inject MeterRegistry meters;

  @Test
  void listsDeadLettersNewestFirstPageByPageWithTheRawItem() throws Exception {
    // Given three batches of one instance, each with an invalid bucket (a NUL in its model)
    UsageFixtures fixtures = new UsageFixtures(dataSource);
    long key = fixtures.keys(fixtures.user(), 1)[0];
    String instance = "dp-" + UUID.randomUUID();
    double before = deadLetterCount("bucket", "invalid");
    for (int sequence = 1; sequence <= 3; sequence++) {
      flushes.apply(
          batch(instance, sequence)
              .addKeyDeltas(keyDelta(key, counters(1, 1, 1, 1), 0))
              .addBuckets(
                  UsageBucket.newBuilder()
                      .setBucketStartUnixS(1_700_000_040L)
                      .setKeyId(key)
                      .setModel("m\u0000" + sequence)
                      .setCounters(Counters.newBuilder().setRequests(1).setSuccessRequests(1)))
              .build());
    }

    // When an operator lists them two at a time
    List<JsonPath> pages = new ArrayList<>();
    String cursor = null;
    do {
      var request =
          given()
              .header("Authorization", ADMIN)
              .queryParam("dp_instance_id", instance)
              .queryParam("limit", 2);
      if (cursor != null) {
        request.queryParam("cursor", cursor);
      }
      JsonPath page =
          request.get("/admin/v1/flush/dead-letters").then().statusCode(200).extract().jsonPath();
      pages.add(page);
      cursor = page.getString("next_cursor");
    } while (cursor != null);

    // Then they come newest first, each with its batch, part, reason, detail and raw item
    assertThat(pages).hasSize(2);
    List<Integer> sequences = new ArrayList<>();
    pages.forEach(p -> sequences.addAll(p.getList("items.sequence", Integer.class)));
    assertThat(sequences).containsExactly(3, 2, 1);
    JsonPath first = pages.get(0);
    assertThat(first.getString("items[0].part")).isEqualTo("bucket");
    assertThat(first.getString("items[0].reason")).isEqualTo("invalid");
    assertThat(first.getInt("items[0].item_index")).isZero();
    assertThat(first.getString("items[0].detail"))
        .isEqualTo("buckets[0].model contains the control character U+0000 at code point 1");
    assertThat(first.getString("items[0].item.model")).isEqualTo("m\u00003");
    assertThat(first.getString("items[0].item.key_id")).isEqualTo(Long.toString(key));
    // And the metric counted them, by part and reason
    assertThat(deadLetterCount("bucket", "invalid") - before).isEqualTo(3);
  }

  @Test
  void filtersByReasonAndRefusesAnUnknownOne() {
    given()
        .header("Authorization", ADMIN)
        .queryParam("reason", "invalid")
        .get("/admin/v1/flush/dead-letters")
        .then()
        .statusCode(200);
    given()
        .header("Authorization", ADMIN)
        .queryParam("reason", "bogus")
        .get("/admin/v1/flush/dead-letters")
        .then()
        .statusCode(400)
        .body("field", org.hamcrest.Matchers.equalTo("reason"));
    given()
        .header("Authorization", ADMIN)
        .queryParam("cursor", "not-a-cursor")
        .get("/admin/v1/flush/dead-letters")
        .then()
        .statusCode(400)
        .body("detail", containsString("cursor"));
  }

  @Test
  void needsAnOperatorTokenAndAViewerMayRead() {
    given().get("/admin/v1/flush/dead-letters").then().statusCode(401);
    String viewer =
        given()
            .header("Authorization", ADMIN)
            .contentType("application/json")
            .body(java.util.Map.of("name", "dead-letter-reader", "role", "viewer"))
            .post("/admin/v1/operator-tokens")
            .then()
            .statusCode(201)
            .extract()
            .jsonPath()
            .getString("token");
    given()
        .header("Authorization", "Bearer " + viewer)
        .get("/admin/v1/flush/dead-letters")
        .then()
        .statusCode(200);
  }

  @Test
  void isDescribedInTheOpenApiDocument() {
    given()
        .queryParam("format", "json")
        .get("/q/openapi")
        .then()
        .statusCode(200)
        .body(containsString("/admin/v1/flush/dead-letters"))
        .body(containsString("tollgate_flush_dead_letters_total"));
  }

  private double deadLetterCount(String part, String reason) {
    var counter =
        meters
            .find("tollgate.flush.dead.letters")
            .tag("part", part)
            .tag("reason", reason)
            .counter();
    return counter == null ? 0 : counter.count();
  }
}
