package io.wasix.appliance;

import io.wasix.host.net.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Parses `appliance run ...` in the manner of wasmer and wasmtime. Every flag has an APPLIANCE_* variable for
 * containers, where arguments are awkward; a flag on the command line wins over its variable. Runs on main.
 */
final class Cli {
    static final String HELP = """
            Usage: appliance run [OPTIONS] [MODULE] [--] [ARGS...]
                   appliance --help

            Boots one WASIX module: its sockets are served by Netty on the module's own thread.

            MODULE is a path to a .wasm file or the name of a bundled guest:
              hello        HTTP/1.1 hello server on port 8080 (PORT overrides); the default
              keepalive    HTTP/1.1 keep-alive hello server multiplexing connections with epoll,
                           on port 8080 (PORT overrides)
            Options:
              --net                 allow outbound connections (sock_connect); listening is always allowed
              --env KEY=VALUE       set a guest environment variable (repeatable)
              --shards N            run N instances, each its own thread and event loop, sharing the
                                    listening port through SO_REUSEPORT (default 1)
              --transport T         auto | io_uring | epoll | nio (default auto: the first that works)
              --interpreter         run a user module in Chicory's interpreter instead of compiling it
              --dir HOST::GUEST     map a host directory (not served yet: this build has no filesystem)
              --mapdir GUEST:HOST   same, wasmer's spelling
              -h, --help            this text
            Environment (flags win):
              APPLIANCE_MODULE, APPLIANCE_NET=1, APPLIANCE_ENV="K=V K2=V2", APPLIANCE_SHARDS,
              APPLIANCE_TRANSPORT, APPLIANCE_INTERPRETER=1
              PORT, when set on the host, is passed to the guest unless --env sets it.
            Exit status: the guest's proc_exit code; 0 when _start returns; 1 when the module cannot be
            loaded or linked; 2 on a usage error; 134 when the guest traps.
            """;

    private Cli() {}

    /** Null means "help was printed". */
    static Settings parse(String[] argv, Map<String, String> environment) throws UsageException {
        List<String> args = List.of(argv);
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")) {
            return null;
        }
        int i = 0;
        if (args.get(0).equals("run")) {
            i = 1;
        } else if (!args.get(0).startsWith("-") && !args.get(0).endsWith(".wasm")) {
            // `appliance x.wasm` and `appliance --net x.wasm` are accepted as `appliance run ...`, as wasmer does.
            throw new UsageException("unknown command '" + args.get(0) + "' (try: appliance --help)");
        }

        String module = environment.get("APPLIANCE_MODULE");
        boolean net = truthy(environment.get("APPLIANCE_NET"));
        List<String> env = new ArrayList<>();
        String envVar = environment.get("APPLIANCE_ENV");
        if (envVar != null && !envVar.isBlank()) {
            for (String kv : envVar.trim().split("\\s+")) {
                env.add(checkEnv(kv));
            }
        }
        int shards = parseShards(environment.getOrDefault("APPLIANCE_SHARDS", "1"));
        Transport transport = parseTransport(environment.getOrDefault("APPLIANCE_TRANSPORT", "auto"));
        boolean interpreter = truthy(environment.get("APPLIANCE_INTERPRETER"));
        List<String> guestArgs = new ArrayList<>();

        boolean moduleGiven = false;
        boolean dashDash = false;
        for (; i < args.size(); i++) {
            String a = args.get(i);
            if (moduleGiven) {
                if (a.equals("--") && !dashDash && guestArgs.isEmpty()) {
                    dashDash = true;
                    continue;
                }
                guestArgs.add(a); // after the module, everything belongs to the guest
                continue;
            }
            switch (a) {
                case "--" -> {
                    // the rest is the guest's, even words that look like flags
                    moduleGiven = true;
                    dashDash = true;
                }
                case "-h", "--help" -> {
                    return null;
                }
                case "--net" -> net = true;
                case "--interpreter" -> interpreter = true;
                case "--env", "-e" -> env.add(checkEnv(value(args, ++i, a)));
                case "--shards" -> shards = parseShards(value(args, ++i, a));
                case "--transport" -> transport = parseTransport(value(args, ++i, a));
                case "--dir", "--mapdir" -> {
                    value(args, ++i, a);
                    throw new UsageException(a + " is not supported yet: this build serves no filesystem to guests");
                }
                default -> {
                    if (a.startsWith("--net=")) {
                        net = true; // wasmer accepts --net=<policy>; any policy here means "outbound allowed"
                    } else if (a.startsWith("--env=")) {
                        env.add(checkEnv(a.substring("--env=".length())));
                    } else if (a.startsWith("--shards=")) {
                        shards = parseShards(a.substring("--shards=".length()));
                    } else if (a.startsWith("--transport=")) {
                        transport = parseTransport(a.substring("--transport=".length()));
                    } else if (a.startsWith("-")) {
                        throw new UsageException("unknown option '" + a + "' (try: appliance --help)");
                    } else {
                        module = a;
                        moduleGiven = true;
                    }
                }
            }
        }
        String port = System.getenv("PORT");
        if (port != null && env.stream().noneMatch(kv -> kv.startsWith("PORT="))) {
            env.add("PORT=" + port);
        }
        return new Settings(module == null ? Settings.DEFAULT_GUEST : module, net, List.copyOf(env), shards,
                transport, interpreter, List.copyOf(guestArgs));
    }

    private static String value(List<String> args, int i, String flag) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    private static String checkEnv(String kv) throws UsageException {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new UsageException("--env wants KEY=VALUE, got '" + kv + "'");
        }
        return kv;
    }

    private static int parseShards(String s) throws UsageException {
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new UsageException("--shards wants a number from 1 to 1024, got '" + s + "'");
    }

    private static Transport parseTransport(String s) throws UsageException {
        if (s.equals("auto")) {
            return null;
        }
        try {
            return Transport.byLabel(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private static boolean truthy(String v) {
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }
}
