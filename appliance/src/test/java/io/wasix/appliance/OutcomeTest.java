package io.wasix.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What each way a run ends means for the shard: failure, exit status, description and restart reason. */
class OutcomeTest {
    private record Row(Outcome outcome, boolean failure, int status, String describe, String reason) {}

    @Test
    void eachKindAnswersItsFailureStatusDescriptionAndReason() {
        var rows = List.of(
                new Row(new Outcome.Exited(0), false, 0, "guest exited with status 0", "exit"),
                new Row(new Outcome.Exited(3), true, 3, "guest exited with status 3", "exit"),
                new Row(new Outcome.Trapped("unreachable", "$main"), true, 134, "guest trapped: unreachable in $main",
                        "trap"),
                new Row(new Outcome.Trapped("unreachable", null), true, 134, "guest trapped: unreachable", "trap"),
                new Row(new Outcome.Stalled("5 s", "$spin"), true, 134, "watchdog: no host call for 5 s in $spin",
                        "watchdog"),
                new Row(new Outcome.Stalled("5 s", null), true, 134, "watchdog: no host call for 5 s", "watchdog"),
                new Row(new Outcome.Stopped(), false, 0, "stopped", "stopped"),
                new Row(new Outcome.Failed("host error: boom", null), true, 1, "host error: boom", "host_error"));
        for (Row r : rows) {
            var o = r.outcome();
            assertEquals(r, new Row(o, o.failure(), o.status(), o.describe(), o.reason()));
        }
    }
}
