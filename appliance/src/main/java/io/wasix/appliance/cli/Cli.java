package io.wasix.appliance.cli;

import io.wasix.appliance.module.ArtifactCache;
import io.wasix.appliance.module.GuestModule;
import io.wasix.host.net.Transport;
import io.wasix.host.net.policy.NetPolicy;
import io.wasix.host.net.policy.PortRange;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Parses `appliance run ...` in the manner of wasmer and wasmtime. Every flag has an APPLIANCE_* variable for
 * containers, where arguments are awkward; a flag on the command line wins over its variable. Runs on main.
 */
public final class Cli {
    public static final String HELP = """
            Usage: appliance run [OPTIONS] [MODULE] [--] [ARGS...]
                   appliance [OPTIONS] MODULE [ARGS...]   the same: run is implied before an option or a module
                   appliance compile [-o DIR] [--train] MODULE.wasm   (see appliance compile --help)
                   appliance help | --help
                   appliance --version

            Boots one WASIX module: its sockets are served by Netty on the module's own thread.

            MODULE is a path to a .wasm file or the name of a bundled guest:
              hello        HTTP/1.1 hello server on port 8080 (PORT overrides); the default
              keepalive    HTTP/1.1 keep-alive hello server multiplexing connections with epoll,
                           on port 8080 (PORT overrides)
            Options:
              --net[=POLICY]        what the guest may connect to and look up (sock_connect, resolve):
                                    --net or --net=allow: anything; --net=deny or --net=none: nothing
                                    (the default); --net=allow:HOST:PORTS,... only those, HOST being an
                                    address, [IPv6], a CIDR block (10.0.0.0/8, [fd00::/8]), a name (the
                                    addresses resolve answers for it), *.suffix or *; PORTS N, N-M or *.
                                    wasmer's rules (ipv4:allow=...,dns:allow=...) work too
              --listen PORTS        the ports the guest may bind and listen on, e.g. 8080,8443 or
                                    8000-8999 (0: ephemeral ports); default any
              --env KEY=VALUE       set a guest environment variable (repeatable); --env KEY passes
                                    the host's value of KEY (if unset: not set, with a warning)
              --tcplisten HOST:PORT preopen a listening TCP socket for the guest, as wasmtime does
                                    (repeatable): fds after the mounts', so fd 3 without a mount
              --shards N            run N instances, each its own thread and event loop, sharing the
                                    listening port through SO_REUSEPORT (default 1)
              --transport T         auto | io_uring | epoll | nio (default auto: the first that works)
              --interpreter         run a user module in Chicory's interpreter instead of compiling it
              --cache DIR           where `appliance compile` put the module's artifact (default:
                                    $XDG_CACHE_HOME/wasix-appliance, else ~/.cache/wasix-appliance)
              --stats               print a table of syscalls (calls, errors, time in the host) on exit
              --trace               print one line per syscall on stderr
              --admin-port [HOST:]PORT
                                    serve /metrics (Prometheus) and /healthz on HOST (default
                                    127.0.0.1), on a thread of its own
              --boot-report         print the boot timestamps (ms since exec) after the first response
              --dir HOST::GUEST     preopen host directory HOST as GUEST (--dir DIR: same path both sides);
                                    repeatable; mounts are preopened from fd 3 in the order given.
                                    Without any mount nothing is preopened, as in wasmtime
              --mapdir GUEST:HOST   same, wasmer's spelling
              --tmpfs GUEST         preopen an in-memory filesystem as GUEST (e.g. --tmpfs /)
              --ro-layer HOST::GUEST  preopen a read-only in-memory copy of HOST (bundled files) as GUEST
              --quota GUEST=BYTES[:INODES]  limit the mount at GUEST (sizes like 64K, 10M, 1G); over it,
                                    writes and creates fail with EDQUOT. In-memory mounts default to 256M:65536
              --quiet               no boot line on stderr, so no transport fallback reasons either:
                                    the guest's output only (errors are still printed)
              --restart never|on-failure
                                    restart a shard whose guest traps, exits non-zero or stalls, as a
                                    fresh instance, once it has listened (default on-failure)
              --restart-limit N/DURATION
                                    more than N restarts of a shard in DURATION is a crash loop, which
                                    ends the appliance with the last failure (default 5/30s)
              --watchdog DURATION   stop (and restart) a guest thread that runs DURATION without a host
                                    call, e.g. 5s (default off)
              --max-memory SIZE     the most memory each shard's guest may grow to, e.g. 256M; memory.grow
                                    past it returns -1 (default: the heap, less a reserve, over the shards)
              --max-connections N   the most accepted connections each shard holds; past it accepts pause
                                    and the kernel queues the rest (default: no limit)
              -h, --help            this text (also: appliance help)
              -V, --version         the versions of the appliance, Chicory, Netty and the JDK, and which
                                    transports can run here
            Environment (flags win):
              APPLIANCE_MODULE, APPLIANCE_NET=POLICY (1: allow), APPLIANCE_LISTEN=PORTS,
              APPLIANCE_ENV="K=V K2=V2", APPLIANCE_SHARDS,
              APPLIANCE_TRANSPORT, APPLIANCE_INTERPRETER=1, APPLIANCE_STATS=1, APPLIANCE_TRACE=1,
              APPLIANCE_ADMIN_PORT, APPLIANCE_DIR="HOST::GUEST ...",
              APPLIANCE_MAPDIR="GUEST:HOST ...", APPLIANCE_TMPFS="GUEST ...",
              APPLIANCE_QUOTA="GUEST=BYTES[:INODES] ...", APPLIANCE_QUIET=1,
              APPLIANCE_BOOT_REPORT=1, APPLIANCE_TCPLISTEN="HOST:PORT ...", APPLIANCE_RESTART,
              APPLIANCE_RESTART_LIMIT, APPLIANCE_WATCHDOG, APPLIANCE_MAX_MEMORY,
              APPLIANCE_MAX_CONNECTIONS, APPLIANCE_CACHE
              (mounts and listeners from variables come first)
              PORT, when set on the host, is passed to the guest unless --env sets it.
              A MODULE argument replaces APPLIANCE_MODULE; with the variable set, give the guest's
              arguments after --: appliance run -- ARGS...
            Exit status: the guest's proc_exit code; 0 when _start returns or a signal stops it; 1 when the
            module cannot be loaded or linked; 2 on a usage error; 134 when the guest traps (or a shard's
            crash loop ends in a trap or a watchdog stop).
            """;

    /** What the first word asks for; everything but help and version is a run. */
    public enum Command { RUN, HELP, VERSION }

    private Cli() {}

    /**
     * The command {@code argv} asks for, from its first word (no arguments: help), or the word after run: the
     * container's entry point says run, so `podman run IMAGE --version` reaches us as `run --version`.
     */
    public static Command command(String[] argv) {
        if (argv.length == 0) {
            return Command.HELP;
        }
        String word = argv[0].equals("run") && argv.length > 1 ? argv[1] : argv[0];
        return switch (word) {
            case "help", "--help", "-h" -> Command.HELP;
            case "--version", "-V" -> Command.VERSION;
            default -> Command.RUN;
        };
    }

    /** The settings of a run; null means help was asked for (-h among run's options, or no arguments). Warnings are dropped. */
    public static Settings parse(String[] argv, Map<String, String> environment) throws UsageException {
        return parse(argv, environment, warning -> { });
    }

    /**
     * Null means "help was printed". {@code warnings} is told of what is not an error but is likely a
     * mistake (an --env NAME that is not set here); the caller prints them unless --quiet.
     */
    public static Settings parse(String[] argv, Map<String, String> environment, Consumer<String> warnings)
            throws UsageException {
        List<String> args = List.of(argv);
        if (command(argv) == Command.HELP) {
            return null;
        }
        int i = 0;
        if (args.get(0).equals("run")) {
            i = 1;
        } else if (!args.get(0).startsWith("-") && !namesAModule(args.get(0))) {
            // `appliance x.wasm`, `appliance keepalive` and `appliance --net x.wasm` are `appliance run ...`, as
            // in wasmer; any other first word is a mistyped command or a guest argument that needs --.
            throw new UsageException("unknown command '" + args.get(0) + "': not run or help, nor a file or a bundled "
                    + "guest (" + String.join(", ", GuestModule.bundledNames()) + "); to pass it to the guest, put -- "
                    + "before it: appliance run [MODULE] -- " + args.get(0));
        }

        String module = environment.get("APPLIANCE_MODULE");
        NetPolicy net = netVariable(environment.get("APPLIANCE_NET"));
        String listenVar = environment.get("APPLIANCE_LISTEN");
        List<PortRange> listen = listenVar == null || listenVar.isBlank() ? null
                : NetFlags.listen(listenVar, "APPLIANCE_LISTEN");
        List<String> env = new ArrayList<>();
        String envVar = environment.get("APPLIANCE_ENV");
        if (envVar != null && !envVar.isBlank()) {
            for (String kv : envVar.trim().split("\\s+")) {
                addEnv(env, kv, "APPLIANCE_ENV", environment, warnings);
            }
        }
        // A variable's mistake names the variable: the user may never have typed the flag.
        int shards = parseShards(environment.getOrDefault("APPLIANCE_SHARDS", "1"), "APPLIANCE_SHARDS");
        Transport transport = parseTransport(environment.getOrDefault("APPLIANCE_TRANSPORT", "auto"), "APPLIANCE_TRANSPORT");
        boolean interpreter = truthy(environment.get("APPLIANCE_INTERPRETER"));
        boolean bootReport = truthy(environment.get("APPLIANCE_BOOT_REPORT"));
        List<String> guestArgs = new ArrayList<>();
        boolean stats = truthy(environment.get("APPLIANCE_STATS"));
        boolean trace = truthy(environment.get("APPLIANCE_TRACE"));
        String adminVar = environment.get("APPLIANCE_ADMIN_PORT");
        InetSocketAddress admin = adminVar == null || adminVar.isBlank() ? null : parseAdminPort(adminVar, "APPLIANCE_ADMIN_PORT");
        Mounts mounts = new Mounts();
        for (String d : words(environment.get("APPLIANCE_DIR"))) {
            mounts.dir(d, "APPLIANCE_DIR");
        }
        for (String d : words(environment.get("APPLIANCE_MAPDIR"))) {
            mounts.mapdir(d, "APPLIANCE_MAPDIR");
        }
        for (String g : words(environment.get("APPLIANCE_TMPFS"))) {
            mounts.tmpfs(g, "APPLIANCE_TMPFS");
        }
        for (String q : words(environment.get("APPLIANCE_QUOTA"))) {
            mounts.quota(q, "APPLIANCE_QUOTA");
        }
        boolean quiet = truthy(environment.get("APPLIANCE_QUIET"));
        String cache = null; // --cache; ArtifactCache.locate reads APPLIANCE_CACHE and the XDG defaults
        List<InetSocketAddress> listeners = new ArrayList<>();
        for (String l : words(environment.get("APPLIANCE_TCPLISTEN"))) {
            listeners.add(TcpListen.parse(l, "APPLIANCE_TCPLISTEN"));
        }
        SupervisionFlags sup = new SupervisionFlags();
        sup.fromEnvironment(environment);

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
                case "-V", "--version" -> throw new UsageException(a + " comes first and alone: appliance " + a);
                case "--net" -> net = NetPolicy.ALLOW_ALL;
                case "--listen" -> listen = NetFlags.listen(value(args, ++i, a), a);
                case "--interpreter" -> interpreter = true;
                case "--boot-report" -> bootReport = true;
                case "--env", "-e" -> addEnv(env, value(args, ++i, a), "--env", environment, warnings);
                case "--tcplisten" -> listeners.add(TcpListen.parse(value(args, ++i, a), a));
                case "--shards" -> shards = parseShards(value(args, ++i, a));
                case "--transport" -> transport = parseTransport(value(args, ++i, a));
                case "--stats" -> stats = true;
                case "--trace" -> trace = true;
                case "--admin-port" -> admin = parseAdminPort(value(args, ++i, a));
                case "--dir" -> mounts.dir(value(args, ++i, a));
                case "--mapdir" -> mounts.mapdir(value(args, ++i, a));
                case "--tmpfs" -> mounts.tmpfs(value(args, ++i, a));
                case "--ro-layer" -> mounts.roLayer(value(args, ++i, a));
                case "--quota" -> mounts.quota(value(args, ++i, a));
                case "--quiet" -> quiet = true;
                case "--restart", "--restart-limit", "--watchdog", "--max-memory", "--max-connections" ->
                        sup.flag(a, value(args, ++i, a));
                case "--cache" -> cache = value(args, ++i, a);
                default -> {
                    if (a.startsWith("--net=")) {
                        net = NetFlags.policy(a.substring("--net=".length()), "--net");
                    } else if (a.startsWith("--listen=")) {
                        listen = NetFlags.listen(a.substring("--listen=".length()), "--listen");
                    } else if (a.startsWith("--env=")) {
                        addEnv(env, a.substring("--env=".length()), "--env", environment, warnings);
                    } else if (a.startsWith("--tcplisten=")) {
                        listeners.add(TcpListen.parse(a.substring("--tcplisten=".length()), "--tcplisten"));
                    } else if (a.startsWith("--shards=")) {
                        shards = parseShards(a.substring("--shards=".length()));
                    } else if (a.startsWith("--transport=")) {
                        transport = parseTransport(a.substring("--transport=".length()));
                    } else if (a.startsWith("--admin-port=")) {
                        admin = parseAdminPort(a.substring("--admin-port=".length()));
                    } else if (a.startsWith("--dir=")) {
                        mounts.dir(a.substring("--dir=".length()));
                    } else if (a.startsWith("--mapdir=")) {
                        mounts.mapdir(a.substring("--mapdir=".length()));
                    } else if (a.startsWith("--quota=")) {
                        mounts.quota(a.substring("--quota=".length()));
                    } else if (a.contains("=") && SupervisionFlags.FLAGS.contains(a.substring(0, a.indexOf('=')))) {
                        sup.flag(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
                    } else if (a.startsWith("--cache=")) {
                        cache = a.substring("--cache=".length());
                    } else if (a.startsWith("-")) {
                        throw new UsageException("unknown option '" + a + "' (try: appliance --help)");
                    } else {
                        module = a;
                        moduleGiven = true;
                    }
                }
            }
        }
        if (shards > 1 && listeners.stream().anyMatch(l -> l.getPort() == 0)) {
            // each shard binds its own listener: with port 0 each would get a port of its own
            throw new UsageException("--tcplisten with port 0 and --shards " + shards + ": give the port the shards share");
        }
        String port = System.getenv("PORT");
        if (port != null && env.stream().noneMatch(kv -> kv.startsWith("PORT="))) {
            env.add("PORT=" + port);
        }
        NetPolicy policy = net.withListen(listen);
        for (InetSocketAddress l : listeners) {
            if (!policy.allowsListen(l.getPort())) {
                // the operator's own listener, not the guest's bind: a contradiction to say now, not an EACCES later
                throw new UsageException("--tcplisten: port " + l.getPort() + " is not one --listen allows");
            }
        }
        return new Settings(module == null ? Settings.DEFAULT_GUEST : module, policy, List.copyOf(env), shards,
                transport, interpreter, List.copyOf(guestArgs), new Settings.Metrics(stats, trace, admin),
                mounts.build(), quiet, bootReport, List.copyOf(listeners), sup.supervision(), sup.limits(),
                ArtifactCache.locate(cache, environment));
    }

    /** A word that can only be meant as a module: a file, a .wasm name (missing or not), or a bundled guest. */
    private static boolean namesAModule(String word) {
        if (word.endsWith(".wasm") || GuestModule.bundledNames().contains(word)) {
            return true;
        }
        try {
            return Files.exists(Path.of(word));
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static String value(List<String> args, int i, String flag) throws UsageException {
        if (i >= args.size()) {
            throw new UsageException(flag + " needs a value");
        }
        return args.get(i);
    }

    /**
     * KEY=VALUE, or KEY alone for the host's value of KEY, as wasmtime's --env KEY: where the host has no KEY,
     * the guest gets none either (wasmtime's choice too), and a warning says so, since in a container that is
     * most often a forgotten {@code -e}. {@code source}: the flag or variable the value came from, which a
     * message names.
     */
    private static void addEnv(List<String> env, String kv, String source, Map<String, String> environment,
            Consumer<String> warnings) throws UsageException {
        int eq = kv.indexOf('=');
        if (eq == 0 || kv.isEmpty()) {
            throw new UsageException(source + " wants KEY=VALUE or KEY, got '" + kv + "'");
        }
        if (eq > 0) {
            env.add(kv);
            return;
        }
        String value = environment.get(kv);
        if (value == null) {
            warnings.accept(source + " " + kv + ": " + kv + " is not set here, so the guest does not get it");
        } else {
            env.add(kv + "=" + value);
        }
    }

    private static int parseShards(String s) throws UsageException {
        return parseShards(s, "--shards");
    }

    private static int parseShards(String s, String source) throws UsageException {
        try {
            int n = Integer.parseInt(s.trim());
            if (n >= 1 && n <= 1024) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new UsageException(source + " wants a number from 1 to 1024, got '" + s + "'");
    }

    private static Transport parseTransport(String s) throws UsageException {
        return parseTransport(s, "--transport");
    }

    private static Transport parseTransport(String s, String source) throws UsageException {
        if (s.equals("auto")) {
            return null;
        }
        try {
            return Transport.byLabel(s);
        } catch (IllegalArgumentException e) {
            throw new UsageException(source + ": " + e.getMessage());
        }
    }

    /** [HOST:]PORT, HOST 127.0.0.1 when left out; an IPv6 HOST goes in brackets ([::1]:9100). */
    static InetSocketAddress parseAdminPort(String s) throws UsageException {
        return parseAdminPort(s, "--admin-port");
    }

    private static InetSocketAddress parseAdminPort(String s, String source) throws UsageException {
        String host = "127.0.0.1";
        String port = s.trim();
        int colon = port.lastIndexOf(':');
        if (colon >= 0) {
            host = port.substring(0, colon);
            port = port.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            p = -1;
        }
        if (p < 0 || p > 65535 || host.isEmpty()) {
            throw new UsageException(source + " wants [HOST:]PORT, got '" + s + "'");
        }
        InetSocketAddress a = new InetSocketAddress(host, p);
        if (a.isUnresolved()) {
            throw new UsageException(source + ": unknown host '" + host + "'");
        }
        return a;
    }

    /** APPLIANCE_NET: a --net policy, or 1/true/yes (allow) and 0/false/no (deny), as it always took. */
    private static NetPolicy netVariable(String v) throws UsageException {
        if (v == null || v.isBlank() || v.equals("0") || v.equalsIgnoreCase("false") || v.equalsIgnoreCase("no")) {
            return NetPolicy.DENY_ALL;
        }
        if (truthy(v)) {
            return NetPolicy.ALLOW_ALL;
        }
        return NetFlags.policy(v, "APPLIANCE_NET");
    }

    private static List<String> words(String v) {
        return v == null || v.isBlank() ? List.of() : List.of(v.trim().split("\\s+"));
    }

    private static boolean truthy(String v) {
        return v != null && (v.equals("1") || v.equalsIgnoreCase("true") || v.equalsIgnoreCase("yes"));
    }

    /** The supervision and limit flags as they are parsed: variables first, then flags (see {@link LimitFlags}). */
    private static final class SupervisionFlags {
        static final List<String> FLAGS = List.of("--restart", "--restart-limit", "--watchdog", "--max-memory",
                "--max-connections");
        private io.wasix.appliance.supervise.RestartPolicy restart = Settings.Supervision.DEFAULT.restart();
        private java.time.Duration watchdog;
        private long maxMemory;
        private int maxConnections;

        void fromEnvironment(Map<String, String> environment) throws UsageException {
            for (String flag : FLAGS) {
                String variable = "APPLIANCE_" + flag.substring(2).replace('-', '_').toUpperCase(java.util.Locale.ROOT);
                String v = environment.get(variable);
                if (v != null && !v.isBlank()) {
                    set(flag, v, variable);
                }
            }
        }

        void flag(String flag, String value) throws UsageException {
            set(flag, value, flag);
        }

        private void set(String flag, String v, String source) throws UsageException {
            switch (flag) {
                case "--restart" -> restart = restart.withOnFailure(LimitFlags.restart(v, source));
                case "--restart-limit" -> restart = LimitFlags.restartLimit(v, restart, source);
                case "--watchdog" -> watchdog = LimitFlags.watchdog(v, source);
                case "--max-memory" -> maxMemory = LimitFlags.maxMemory(v, source);
                case "--max-connections" -> maxConnections = LimitFlags.maxConnections(v, source);
                default -> throw new IllegalArgumentException(flag);
            }
        }

        Settings.Supervision supervision() {
            return new Settings.Supervision(restart, watchdog);
        }

        Settings.Limits limits() {
            return new Settings.Limits(maxMemory, maxConnections);
        }
    }
}
