package io.wasix.appliance.guests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.SyscallStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The bundled guests print errno names from wasix.h's table (hello: sock_bind failed: EADDRINUSE): the table
 * must name each WASI errno as the host's --stats and --trace do, in wire order, or a guest's message would
 * contradict the host's.
 */
class ErrnoNamesTest {
    private static final Path WASIX_H = Path.of("src/main/guests/wasix.h");

    @Test
    void wasixHNamesEveryErrnoAsTheHostDoes() throws Exception {
        String source = Files.readString(WASIX_H);
        Matcher table = Pattern.compile("WX_ERRNO_NAMES\\[\\] = \\{(.*?)\\};", Pattern.DOTALL).matcher(source);
        assertEquals(true, table.find(), "wasix.h has no WX_ERRNO_NAMES table");
        String body = table.group(1).replaceAll("/\\*.*?\\*/", "");
        List<String> names = new ArrayList<>();
        Matcher quoted = Pattern.compile("\"([^\"]*)\"").matcher(body);
        while (quoted.find()) {
            names.add(quoted.group(1));
        }
        List<String> host = new ArrayList<>();
        for (Errno e : Errno.values()) {
            host.add(SyscallStats.errnoName(e.code()));
        }
        assertEquals(host, names);
    }
}
