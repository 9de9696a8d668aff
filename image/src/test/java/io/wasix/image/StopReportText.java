package io.wasix.image;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The stop report an appliance run with --boot-report prints at exit, parsed from its stderr: the milestones'
 * ms after the signal, and the signal's wall-clock time. The ITs judge a stop by it (what ended the drain, how
 * long the appliance itself took) rather than by a wall clock around an engine's or a launcher's commands.
 */
record StopReportText(Instant signal, Map<String, Double> millis) {
    private static final Pattern HEADER = Pattern.compile("appliance: stop report \\(ms after the signal, (\\S+)\\)");
    private static final Pattern ROW = Pattern.compile("\\s{2}(\\S.*?)\\s+(-?\\d+\\.\\d)\\s+[+-]\\d+\\.\\d");

    /** The report in {@code lines} (podman/docker log timestamps before a line are allowed); fails if none. */
    static StopReportText in(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) {
            Matcher h = HEADER.matcher(lines.get(i));
            if (!h.find()) {
                continue;
            }
            Map<String, Double> rows = new LinkedHashMap<>();
            for (int j = i + 2; j < lines.size(); j++) { // after the column heads
                Matcher r = ROW.matcher(lines.get(j));
                if (!r.find()) {
                    break;
                }
                rows.put(r.group(1), Double.parseDouble(r.group(2)));
            }
            return new StopReportText(Instant.parse(h.group(1)), rows);
        }
        throw new AssertionError("no stop report after a signal in:\n" + String.join("\n", lines));
    }

    /** Whether the grace (or a second signal) had to stop the guests: the drain did not end by itself. */
    boolean stoppedNow() {
        return millis.containsKey("stop now");
    }

    /** ms from the signal to {@code milestone}; fails if the report has no such row. */
    double at(String milestone) {
        Double ms = millis.get(milestone);
        if (ms == null) {
            throw new AssertionError("no '" + milestone + "' in the stop report " + millis);
        }
        return ms;
    }
}
