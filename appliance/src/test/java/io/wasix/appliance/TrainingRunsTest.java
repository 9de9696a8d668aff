package io.wasix.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The image's training workload: argument groups separated by ";", each an `appliance` command line. */
class TrainingRunsTest {
    @Test
    void groupsAreSplitOnSemicolonsAndEmptyOnesDropped() {
        assertEquals(List.of(List.of("run", "--transport", "epoll"), List.of("run", "--cache", "d", "m.wasm"), List.of("run")),
                TrainingRuns.runs(new String[] {"run", "--transport", "epoll", ";", "run", "--cache", "d", "m.wasm", ";", ";",
                        "run", ";"}));
    }

    @Test
    void oneGroupWithoutSeparators() {
        assertEquals(List.of(List.of("run")), TrainingRuns.runs(new String[] {"run"}));
    }
}
