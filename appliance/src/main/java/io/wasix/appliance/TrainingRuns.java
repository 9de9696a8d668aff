package io.wasix.appliance;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The workload of the image's AOT cache training (image/src/main/java/io/wasix/image/AotTraining.java, at
 * build time): `appliance run` once per argument group, groups separated by ";", one after another in this
 * JVM, so that the one cache covers each path a deployment of the image takes: epoll (a container's engine
 * blocks io_uring), a user's module from its artifact, the bundled guest on io_uring. A JDK 25 AOT cache
 * records one JVM, and any class a path needs that its training never loaded is parsed and verified from
 * lib/modules at every boot that takes it. The trainer ends each run as a deployment is ended, with SIGTERM,
 * once it has served its requests; the cache is written when this JVM exits, after the last run.
 * The class path is the appliance's own, which the cache records: the main class may differ.
 *
 * <p>Runs on main; each run is {@link Main#run(String[])}, with its own shards and signal handlers.
 */
public final class TrainingRuns {
    private TrainingRuns() {}

    public static void main(String[] args) {
        for (List<String> run : runs(args)) {
            int status = Main.run(run.toArray(String[]::new));
            if (status != 0) {
                System.err.println("appliance: training run " + run + " ended with status " + status);
                System.exit(status);
            }
        }
        System.exit(0);
    }

    /** "run --transport epoll ; run" as [[run, --transport, epoll], [run]]. */
    static List<List<String>> runs(String[] args) {
        List<List<String>> runs = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String a : Arrays.asList(args)) {
            if (a.equals(";")) {
                runs.add(List.copyOf(current));
                current.clear();
            } else {
                current.add(a);
            }
        }
        runs.add(List.copyOf(current));
        runs.removeIf(List::isEmpty);
        return runs;
    }
}
