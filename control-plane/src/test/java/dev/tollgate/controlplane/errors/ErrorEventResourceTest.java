package dev.tollgate.controlplane.errors;

import static dev.tollgate.controlplane.admin.AdminApi.asOperator;
import static dev.tollgate.controlplane.admin.AdminApi.createOperatorToken;
import static dev.tollgate.controlplane.admin.AdminApi.withToken;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.nullValue;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

@QuarkusTest
class ErrorEventResourceTest {

  private static final Instant T0 = Instant.parse("2030-03-01T12:00:00Z");

  @Inject AgroalDataSource dataSource;

  @Test
  void listsErrorsOfAKeyNewestFirstAndPagesWithCursor() throws SQLException {
    // Given five errors of one key, one second apart
    long key = freshKeyId();
    long[] ids = new long[5];
    for (int i = 0; i < 5; i++) {
      ids[i] = insert(key, T0.plusSeconds(i), 502, "gpt-4o-mini", 7L);
    }

    // When the list is read two at a time
    JsonPath first = page("key_id=" + key + "&limit=2");
    JsonPath second = page("key_id=" + key + "&limit=2&cursor=" + first.getString("next_cursor"));
    JsonPath third = page("key_id=" + key + "&limit=2&cursor=" + second.getString("next_cursor"));

    // Then the pages hold every error once, newest first, and the last one ends the list
    assertThat(first.getList("items.id", Long.class)).containsExactly(ids[4], ids[3]);
    assertThat(second.getList("items.id", Long.class)).containsExactly(ids[2], ids[1]);
    assertThat(third.getList("items.id", Long.class)).containsExactly(ids[0]);
    assertThat(third.getString("next_cursor")).isNull();
    assertThat(first.getString("items[0].occurred_at")).isEqualTo("2030-03-01T12:00:04Z");
    assertThat(first.getInt("items[0].status_code")).isEqualTo(502);
    assertThat(first.getLong("items[0].provider_key_id")).isEqualTo(7L);
    assertThat(first.getString("items[0].error_class")).isEqualTo("upstream_error");
  }

  @Test
  void cursorPageIsUnchangedByErrorsAddedAfterTheFirstPage() throws SQLException {
    // Given three errors and the first page of two
    long key = freshKeyId();
    long oldest = insert(key, T0, 500, "m", null);
    insert(key, T0.plusSeconds(1), 500, "m", null);
    insert(key, T0.plusSeconds(2), 500, "m", null);
    JsonPath first = page("key_id=" + key + "&limit=2");

    // When a newer error arrives before the next page is read
    insert(key, T0.plusSeconds(3), 500, "m", null);
    JsonPath second = page("key_id=" + key + "&limit=2&cursor=" + first.getString("next_cursor"));

    // Then the next page continues where the first ended
    assertThat(second.getList("items.id", Long.class)).containsExactly(oldest);
    assertThat(second.getString("next_cursor")).isNull();
  }

  @Test
  void pageOfExactlyLimitRowsHasNoNextCursor() throws SQLException {
    long key = freshKeyId();
    insert(key, T0, 500, "m", null);
    insert(key, T0.plusSeconds(1), 500, "m", null);

    JsonPath page = page("key_id=" + key + "&limit=2");

    assertThat(page.getList("items")).hasSize(2);
    assertThat(page.getString("next_cursor")).isNull();
  }

  @Test
  void keyWithoutErrorsListsNothing() {
    asOperator()
        .get("/admin/v1/errors?key_id=" + freshKeyId())
        .then()
        .statusCode(200)
        .body("items", hasSize(0))
        .body("next_cursor", nullValue());
  }

  @Test
  void filtersCombineProviderKeyModelStatusAndTimeRange() throws SQLException {
    // Given errors of one key that differ in one attribute each from the wanted one
    long key = freshKeyId();
    long wanted = insert(key, T0.plusSeconds(10), 429, "gpt-4o", 3L);
    insert(key, T0.plusSeconds(11), 429, "gpt-4o", 4L);
    insert(key, T0.plusSeconds(12), 429, "gpt-4o-mini", 3L);
    insert(key, T0.plusSeconds(13), 500, "gpt-4o", 3L);
    insert(key, T0.plusSeconds(30), 429, "gpt-4o", 3L);
    insert(key, T0.plusSeconds(5), 429, "gpt-4o", 3L);

    // When all filters are given
    JsonPath page =
        page(
            "key_id="
                + key
                + "&provider_key_id=3&model=gpt-4o&status_code=429"
                + "&from=2030-03-01T12:00:10Z&to=2030-03-01T12:00:30Z");

    // Then only the one matching every filter is listed (from inclusive, to exclusive)
    assertThat(page.getList("items.id", Long.class)).containsExactly(wanted);
  }

  @Test
  void acceptsTheMaximumLimit() throws SQLException {
    long key = freshKeyId();
    insert(key, T0, 500, "m", null);
    asOperator()
        .get("/admin/v1/errors?limit=1000&key_id=" + key)
        .then()
        .statusCode(200)
        .body("items", hasSize(1));
  }

  @Test
  void listWithoutFiltersAnswersNewestFirst() {
    JsonPath page = page("limit=50");
    List<String> times = page.getList("items.occurred_at", String.class);
    assertThat(times).isSortedAccordingTo((a, b) -> Instant.parse(b).compareTo(Instant.parse(a)));
  }

  @Test
  void rejectsLimitAboveMaximum() {
    expectBadRequest("/admin/v1/errors?limit=1001", "limit");
  }

  @Test
  void rejectsZeroLimit() {
    expectBadRequest("/admin/v1/errors?limit=0", "limit");
  }

  @Test
  void rejectsNonNumericKeyId() {
    expectBadRequest("/admin/v1/errors?key_id=abc", "key_id");
  }

  @Test
  void rejectsNegativeProviderKeyId() {
    expectBadRequest("/admin/v1/errors?provider_key_id=-1", "provider_key_id");
  }

  @Test
  void rejectsStatusCodeOutOfRange() {
    expectBadRequest("/admin/v1/errors?status_code=700", "status_code");
  }

  @Test
  void rejectsMalformedFrom() {
    expectBadRequest("/admin/v1/errors?from=yesterday", "from");
  }

  @Test
  void rejectsRangeThatEndsBeforeItStarts() {
    expectBadRequest("/admin/v1/errors?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", "to");
  }

  @Test
  void rejectsCursorItDidNotIssue() {
    expectBadRequest("/admin/v1/errors?cursor=bm90LWEtY3Vyc29y", "cursor");
  }

  @Test
  void refusesListWithoutOperatorToken() {
    given().get("/admin/v1/errors").then().statusCode(401);
  }

  @Test
  void lookupPrefersTheSameStatusCodeOverANearerError() throws SQLException {
    // Given a 500 two seconds from the moment and a 429 forty seconds away
    long key = freshKeyId();
    insert(key, T0.plusSeconds(2), 500, "m", null);
    long sameStatus = insert(key, T0.minusSeconds(40), 429, "m", null);

    // When the 429 is looked up
    JsonPath found = lookup("key_id=" + key + "&timestamp=2030-03-01T12:00:00Z&status_code=429");

    // Then the farther 429 wins
    assertThat(found.getLong("error.id")).isEqualTo(sameStatus);
    assertThat(found.getString("match")).isEqualTo("same_status_code");
    assertThat(found.getLong("offset_ms")).isEqualTo(-40_000L);
  }

  @Test
  void lookupFallsBackToTheNearestErrorOfAnyStatus() throws SQLException {
    // Given only 500s around the moment, the nearer one after it
    long key = freshKeyId();
    insert(key, T0.minusSeconds(9), 500, "m", null);
    long nearest = insert(key, T0.plusSeconds(3), 502, "m", null);

    // When a 429 is looked up
    JsonPath found = lookup("key_id=" + key + "&timestamp=2030-03-01T12:00:00Z&status_code=429");

    // Then the nearest error of any status is answered, and said to be so
    assertThat(found.getLong("error.id")).isEqualTo(nearest);
    assertThat(found.getString("match")).isEqualTo("any_status_code");
    assertThat(found.getLong("offset_ms")).isEqualTo(3_000L);
  }

  @Test
  void lookupPicksTheNearestOfTheSameStatusOnEitherSide() throws SQLException {
    long key = freshKeyId();
    insert(key, T0.minusSeconds(5), 429, "m", null);
    long after = insert(key, T0.plusMillis(4_500), 429, "m", null);
    insert(key, T0.plusSeconds(20), 429, "m", null);

    JsonPath found = lookup("key_id=" + key + "&timestamp=2030-03-01T12:00:00Z&status_code=429");

    assertThat(found.getLong("error.id")).isEqualTo(after);
  }

  @Test
  void lookupTakesTheEarlierErrorOnATie() throws SQLException {
    long key = freshKeyId();
    long before = insert(key, T0.minusSeconds(5), 429, "m", null);
    insert(key, T0.plusSeconds(5), 429, "m", null);

    JsonPath found = lookup("key_id=" + key + "&timestamp=2030-03-01T12:00:00Z");

    assertThat(found.getLong("error.id")).isEqualTo(before);
    assertThat(found.getString("match")).isEqualTo("any_status_code");
  }

  @Test
  void lookupAnswers404WhenNothingIsWithinTheWindow() throws SQLException {
    // Given an error 61 s away and the default window of 60 s
    long key = freshKeyId();
    insert(key, T0.plusSeconds(61), 429, "m", null);

    asOperator()
        .get("/admin/v1/errors/lookup?key_id=" + key + "&timestamp=2030-03-01T12:00:00Z")
        .then()
        .statusCode(404)
        .contentType("application/problem+json")
        .body("status", equalTo(404));
  }

  @Test
  void lookupWindowReachesItsEdgeAndNoFurther() throws SQLException {
    long key = freshKeyId();
    long edge = insert(key, T0.minusSeconds(300), 429, "m", null);
    insert(key, T0.plusSeconds(301), 429, "m", null);

    JsonPath found = lookup("key_id=" + key + "&timestamp=2030-03-01T12:00:00Z&window_seconds=300");

    assertThat(found.getLong("error.id")).isEqualTo(edge);
  }

  @Test
  void lookupRejectsWindowAbove300Seconds() {
    expectBadRequest(
        "/admin/v1/errors/lookup?key_id=1&timestamp=2030-03-01T12:00:00Z&window_seconds=301",
        "window_seconds");
  }

  @Test
  void lookupRequiresKeyId() {
    expectBadRequest("/admin/v1/errors/lookup?timestamp=2030-03-01T12:00:00Z", "key_id");
  }

  @Test
  void lookupRequiresTimestamp() {
    expectBadRequest("/admin/v1/errors/lookup?key_id=1", "timestamp");
  }

  @Test
  void lookupRejectsMalformedTimestamp() {
    expectBadRequest("/admin/v1/errors/lookup?key_id=1&timestamp=1700000000", "timestamp");
  }

  @Test
  void refusesLookupWithoutOperatorToken() {
    given()
        .get("/admin/v1/errors/lookup?key_id=1&timestamp=2030-03-01T12:00:00Z")
        .then()
        .statusCode(401);
  }

  @Test
  void viewerTokenReadsErrors() throws SQLException {
    // Given a read-only operator token and an error
    String viewer = createOperatorToken("viewer");
    long key = freshKeyId();
    long id = insert(key, T0, 500, "m", null);

    // When / Then both reads answer it
    withToken(viewer)
        .get("/admin/v1/errors?key_id=" + key)
        .then()
        .statusCode(200)
        .body("items[0].id", equalTo((int) id));
    withToken(viewer)
        .get("/admin/v1/errors/lookup?key_id=" + key + "&timestamp=2030-03-01T12:00:00Z")
        .then()
        .statusCode(200);
  }

  private static JsonPath page(String query) {
    return asOperator()
        .get("/admin/v1/errors?" + query)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static JsonPath lookup(String query) {
    return asOperator()
        .get("/admin/v1/errors/lookup?" + query)
        .then()
        .statusCode(200)
        .extract()
        .jsonPath();
  }

  private static void expectBadRequest(String path, String field) {
    asOperator()
        .get(path)
        .then()
        .statusCode(400)
        .contentType("application/problem+json")
        .body("field", equalTo(field));
  }

  /** error_event.key_id has no foreign key: an id no other test uses isolates this test's rows. */
  private static long freshKeyId() {
    return ThreadLocalRandom.current().nextLong(1_000_000_000L, Long.MAX_VALUE / 2);
  }

  private long insert(long key, Instant at, int status, String model, Long providerKeyId)
      throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "INSERT INTO error_event (occurred_at, key_id, provider_key_id, model, status_code,"
                    + " error_class, message, latency_ms, request_id, dp_instance_id)"
                    + " VALUES (?, ?, ?, ?, ?, 'upstream_error', 'boom', 12, 'req-1', 'dp-test')"
                    + " RETURNING id")) {
      s.setObject(1, at.truncatedTo(ChronoUnit.MICROS).atOffset(ZoneOffset.UTC));
      s.setLong(2, key);
      s.setObject(3, providerKeyId);
      s.setString(4, model);
      s.setInt(5, status);
      try (ResultSet r = s.executeQuery()) {
        r.next();
        return r.getLong(1);
      }
    }
  }
}
