package io.wasix.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stop report: what it counts from, which rows it has, and that it prints only when asked. */
class StopReportTest {
    @Test
    void withoutAStopThereIsNoReport() {
        StopReport r = new StopReport();
        r.mark(StopReport.Milestone.SHARDS_JOINED);
        assertNull(r.render());
    }

    @Test
    void countsFromTheSignalAndListsOnlyWhatHappened() {
        StopReport r = new StopReport();
        r.mark(StopReport.Milestone.SIGNAL);
        r.mark(StopReport.Milestone.SHARD_ENDED);
        r.markAgain(StopReport.Milestone.GUESTS_ENDED);
        r.mark(StopReport.Milestone.EXITING);
        List<String> lines = r.render().lines().toList();
        assertTrue(lines.get(0).startsWith("appliance: stop report (ms after the signal, 20"), lines.get(0));
        assertEquals(List.of("signal", "first shard ended", "last shard ended", "exiting"),
                lines.subList(2, lines.size()).stream().map(l -> l.substring(2, 20).strip()).toList());
        assertTrue(lines.get(2).matches("  signal +0\\.0 +\\+0\\.0"), lines.get(2));
    }

    @Test
    void aShardThatEndedTheApplianceIsTheOriginWithoutASignal() {
        StopReport r = new StopReport();
        r.mark(StopReport.Milestone.SHARD_ENDED);
        r.mark(StopReport.Milestone.EXITING);
        assertTrue(r.render().startsWith("appliance: stop report (ms after the first shard's end)\n"), r.render());
    }

    @Test
    void theFirstMarkStaysAndTheLastShardsEndMovesOn() throws Exception {
        StopReport r = new StopReport();
        r.mark(StopReport.Milestone.SIGNAL);
        r.mark(StopReport.Milestone.SHARD_ENDED);
        r.markAgain(StopReport.Milestone.GUESTS_ENDED);
        String before = r.render();
        Thread.sleep(5);
        r.mark(StopReport.Milestone.SHARD_ENDED);
        r.markAgain(StopReport.Milestone.GUESTS_ENDED);
        String after = r.render();
        assertEquals(row(before, "first shard ended"), row(after, "first shard ended"));
        assertTrue(Double.parseDouble(at(after, "last shard ended")) > Double.parseDouble(at(before, "last shard ended")),
                before + after);
    }

    @Test
    void printsOnlyWhenAsked() {
        StopReport r = new StopReport();
        r.mark(StopReport.Milestone.SIGNAL);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        r.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(0, out.size());
        r.requestPrint();
        r.print(new PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("appliance: stop report"));
    }

    private static String row(String report, String label) {
        return report.lines().filter(l -> l.startsWith("  " + label + " ")).findFirst().orElseThrow();
    }

    private static String at(String report, String label) {
        return row(report, label).substring(20).strip().split(" +")[0];
    }
}
