package io.wasix.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import io.wasix.host.abi.Errno;
import io.wasix.host.metrics.SyscallMetrics;
import io.wasix.host.net.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;

/**
 * The abi-shim.wasm guest on a {@link WasixHost}, on the current thread: lets a test call each host function
 * directly ({@code call("sock_open", ...)} calls the export {@code call_sock_open}) and read and write the
 * guest's memory.
 *
 * <p>Scratch memory layout (the shim has 2 pages = 131072 bytes, and uses none of it itself):
 * <pre>
 *      0 ..    63  RET:      4-byte out-values; RET, RET + 4, ... (sixteen slots)
 *     64 ..    83  ADDR_IN:  an input address (bind, connect), port little-endian
 *     96 ..   115  ADDR_OUT: an output address (accept, addr_local, addr_peer), port big-endian
 *    128 ..   143  OPT:      an opt_time struct or a u64 size
 *    160 ..   239  (private: the subscription and event {@link #pump} uses)
 *    256 ..   767  IOVS:     up to 64 iovecs
 *   1024 ..  4095  EVENTS:   epoll events, poll subscriptions and events, pointer arrays
 *   4096 .. 131071 BUF:      data
 * </pre>
 *
 * <p>A watchdog calls {@link WasixHost#stop()} if the test is still in a guest call after {@link #WATCHDOG_MS}:
 * every blocking call is bounded even when the host under test misbehaves.
 */
final class ShimGuest implements AutoCloseable {
    static final Path GUESTS = Path.of("src/test/guests");

    static final int MEMORY_SIZE = 131072;
    static final int RET = 0;
    static final int ADDR_IN = 64;
    static final int ADDR_OUT = 96;
    static final int OPT = 128;
    private static final int PUMP_SUB = 160, PUMP_EVENT = 208;
    static final int IOVS = 256;
    static final int EVENTS = 1024;
    static final int BUF = 4096;
    static final int BUF_SIZE = MEMORY_SIZE - BUF;

    // WASIX constants the tests use
    static final int AF_INET4 = 1, SOCK_STREAM = 1;
    static final int NONBLOCK = 4;
    static final int SHUT_RD = 1, SHUT_WR = 2;
    static final int OPT_REUSE_PORT = 1, OPT_REUSE_ADDR = 2, OPT_NO_DELAY = 3, OPT_LISTENING = 10,
            OPT_KEEP_ALIVE = 12, OPT_LINGER = 13, OPT_RECV_BUF = 15, OPT_SEND_BUF = 16, OPT_RECV_TIMEOUT = 19,
            OPT_SEND_TIMEOUT = 20, OPT_CONNECT_TIMEOUT = 21, OPT_ACCEPT_TIMEOUT = 22, OPT_TYPE = 25, OPT_PROTO = 26;

    static final long WATCHDOG_MS = 8_000;
    /** How long a test waits for a peer (a java.net client, a pump) before failing. */
    static final int PEER_TIMEOUT_MS = 5_000;

    private static final Map<String, WasmModule> MODULES = new ConcurrentHashMap<>();
    private static final Map<String, Function<Instance, Machine>> MACHINES = new ConcurrentHashMap<>();
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "shim-watchdog");
        t.setDaemon(true);
        return t;
    });

    final Transport transport;
    final WasixHost host;
    final Instance instance;
    final Memory mem;
    private final ScheduledFuture<?> watchdog;

    private ShimGuest(Transport transport, HostConfig config, SyscallMetrics metrics, HostEvents events) {
        this.transport = transport;
        this.host = new WasixHost(config, metrics, events);
        try {
            this.instance = instantiate("abi-shim.wasm", host);
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
        this.mem = instance.memory();
        assertEquals(MEMORY_SIZE, mem.pages() * Memory.PAGE_SIZE, "abi-shim memory size");
        this.watchdog = WATCHDOG.schedule(() -> {
            System.err.println("!!! watchdog: stopping a guest still running after " + WATCHDOG_MS + " ms");
            host.stop();
        }, WATCHDOG_MS, TimeUnit.MILLISECONDS);
    }

    /** The shim on {@code t}, outbound connections allowed; skips the test when {@code t} is unavailable. */
    static ShimGuest open(Transport t) {
        return open(t, cfg -> cfg.withAllowOutbound(true));
    }

    /** The shim on {@code t} with a tailored configuration (start from {@code HostConfig.of(t)}). */
    static ShimGuest open(Transport t, java.util.function.UnaryOperator<HostConfig> tailor) {
        Transports.require(t);
        return new ShimGuest(t, tailor.apply(HostConfig.of(t)), SyscallMetrics.off(), HostEvents.NONE);
    }

    /** The shim on {@code t}, outbound connections allowed, its syscalls reporting to {@code metrics}. */
    static ShimGuest open(Transport t, SyscallMetrics metrics) {
        Transports.require(t);
        return new ShimGuest(t, HostConfig.of(t).withAllowOutbound(true), metrics, HostEvents.NONE);
    }

    /** The shim on {@code t} with a tailored configuration, its syscalls reporting to {@code metrics}. */
    static ShimGuest open(Transport t, SyscallMetrics metrics, java.util.function.UnaryOperator<HostConfig> tailor) {
        Transports.require(t);
        return new ShimGuest(t, tailor.apply(HostConfig.of(t)), metrics, HostEvents.NONE);
    }

    /** The shim on {@code t}, outbound connections allowed, reporting its milestones to {@code events}. */
    static ShimGuest open(Transport t, HostEvents events) {
        Transports.require(t);
        return new ShimGuest(t, HostConfig.of(t).withAllowOutbound(true), SyscallMetrics.off(), events);
    }

    // ------------------------------------------------------------------ modules

    static WasmModule module(String file) {
        return MODULES.computeIfAbsent(file, f -> Parser.parse(GUESTS.resolve(f)));
    }

    /**
     * Instantiates a committed guest module (compiled once per JVM) on {@code host}'s imports, without running
     * its {@code _start} (Chicory would otherwise run it inside build()).
     */
    static Instance instantiate(String file, WasixHost host) {
        WasmModule module = module(file);
        Function<Instance, Machine> machine = MACHINES.computeIfAbsent(file, f -> MachineFactoryCompiler.compile(module));
        return Instance.builder(module)
                .withImportValues(host.imports(module))
                .withMachineFactory(machine)
                .withMemoryFactory(WasixHost::newMemory) // the memory the appliance's shards use
                .withStart(false)
                .build();
    }

    // ------------------------------------------------------------------ calls

    /** Calls the shim's {@code call_<fn>} export and returns its i32 result (an errno for every syscall). */
    int call(String fn, long... args) {
        long[] r = instance.export("call_" + fn).apply(args);
        return r == null || r.length == 0 ? 0 : (int) r[0];
    }

    /** Calls {@code fn} and asserts it succeeded. */
    void ok(String fn, long... args) {
        expect(Errno.SUCCESS, fn, args);
    }

    /** Calls {@code fn} and asserts it answered {@code errno}. */
    void expect(Errno errno, String fn, long... args) {
        int got = call(fn, args);
        assertEquals(errno.name(), Errno.of(got).name(), () -> fn + java.util.Arrays.toString(args) + " on " + transport.label());
    }

    // ------------------------------------------------------------------ memory

    int i32(int at) {
        return mem.readInt(at);
    }

    long i64(int at) {
        return mem.readLong(at);
    }

    int u8(int at) {
        return mem.read(at) & 0xff;
    }

    int u16(int at) {
        return (int) mem.readU16(at);
    }

    byte[] bytes(int at, int len) {
        return mem.readBytes(at, len);
    }

    void putI32(int at, int v) {
        mem.writeI32(at, v);
    }

    void putI64(int at, long v) {
        mem.writeLong(at, v);
    }

    void putU8(int at, int v) {
        mem.writeByte(at, (byte) v);
    }

    void putU16(int at, int v) {
        mem.writeShort(at, (short) v);
    }

    void put(int at, byte[] data) {
        mem.write(at, data);
    }

    void zero(int at, int len) {
        mem.fill((byte) 0, at, at + len);
    }

    /** Writes one iovec {ptr, len} as entry {@code index} of the array at {@code iovs}. */
    void iovec(int iovs, int index, int ptr, int len) {
        putI32(iovs + index * 8, ptr);
        putI32(iovs + index * 8 + 4, len);
    }

    /** Lays {@code parts} out back to back from BUF, one iovec each at IOVS; returns the iovec count. */
    int ciovecs(byte[]... parts) {
        int at = BUF;
        for (int i = 0; i < parts.length; i++) {
            put(at, parts[i]);
            iovec(IOVS, i, at, parts[i].length);
            at += parts[i].length;
        }
        return parts.length;
    }

    // ------------------------------------------------------------------ addresses

    /** Writes an input address for 127.0.0.1:port at {@code at}: family 1, port little-endian. */
    void addrIn(int at, int port) {
        addrIn(at, new byte[] {127, 0, 0, 1}, port);
    }

    void addrIn(int at, byte[] ipv4, int port) {
        zero(at, 20);
        putU8(at, AF_INET4);
        putU8(at + 2, port & 0xff);
        putU8(at + 3, port >>> 8);
        put(at + 4, ipv4);
    }

    /** Reads an output address the host wrote at {@code at}: family 1, port big-endian. */
    InetSocketAddress addrOut(int at) {
        assertEquals(AF_INET4, u8(at), "address family tag");
        int port = u8(at + 2) << 8 | u8(at + 3);
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes(at + 4, 4)), port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ socket helpers (each asserts success)

    int openStream() {
        ok("sock_open", AF_INET4, SOCK_STREAM, 0, RET);
        return i32(RET);
    }

    /** A listening socket on 127.0.0.1 and a kernel-chosen port. */
    int listener() {
        int fd = openStream();
        addrIn(ADDR_IN, 0);
        ok("sock_bind", fd, ADDR_IN);
        ok("sock_listen", fd, 16);
        return fd;
    }

    int localPort(int fd) {
        ok("sock_addr_local", fd, ADDR_OUT);
        return addrOut(ADDR_OUT).getPort();
    }

    /** sock_accept_v2; the peer's address is left at ADDR_OUT. */
    int accept(int listener, int fdflags) {
        ok("sock_accept_v2", listener, fdflags, RET, ADDR_OUT);
        return i32(RET);
    }

    /** A connected socket to 127.0.0.1:port. */
    int connect(int port) {
        int fd = openStream();
        addrIn(ADDR_IN, port);
        ok("sock_connect", fd, ADDR_IN);
        return fd;
    }

    /** sock_send of {@code parts} as one iovec each; returns what the host reported sent. */
    int send(int fd, byte[]... parts) {
        int n = ciovecs(parts);
        ok("sock_send", fd, IOVS, n, 0, RET);
        return i32(RET);
    }

    /** sock_recv into iovecs of the given lengths, laid out back to back from BUF; returns the errno. */
    int tryRecv(int fd, int... lens) {
        int at = BUF;
        for (int i = 0; i < lens.length; i++) {
            iovec(IOVS, i, at, lens[i]);
            at += lens[i];
        }
        putI32(RET, -1);
        return call("sock_recv", fd, IOVS, lens.length, 0, RET, RET + 4);
    }

    /** sock_recv into one buffer of {@code max} bytes at BUF; returns the bytes read (empty at EOF). */
    byte[] recv(int fd, int max) {
        int errno = tryRecv(fd, max);
        assertEquals("SUCCESS", Errno.of(errno).name(), "sock_recv on " + transport.label());
        return bytes(BUF, i32(RET));
    }

    /** Receives until {@code n} bytes have arrived (fails at EOF first). */
    byte[] recvExactly(int fd, int n) {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            byte[] b = recv(fd, Math.min(BUF_SIZE, n - got.size()));
            if (b.length == 0) {
                fail("EOF after " + got.size() + " of " + n + " bytes");
            }
            got.writeBytes(b);
        }
        return got.toByteArray();
    }

    void setTime(int fd, int opt, long nanos) {
        zero(OPT, 16);
        if (nanos >= 0) {
            putU8(OPT, 1);
            putI64(OPT + 8, nanos);
        }
        ok("sock_set_opt_time", fd, opt, OPT);
    }

    void setFlags(int fd, int fdflags) {
        ok("fd_fdstat_set_flags", fd, fdflags);
    }

    void close(int fd) {
        ok("fd_close", fd);
    }

    // ------------------------------------------------------------------ running the guest's loop

    /**
     * Lets the host's loop run for about {@code millis} (a clock-only poll_oneoff, which serves IO while it
     * sleeps). Needed whenever a java.net peer waits for something the host only does inside a guest call
     * (io_uring submits writes and closes when the loop runs).
     */
    void pump(long millis) {
        zero(PUMP_SUB, 48);
        putI64(PUMP_SUB, 0x7075_6d70L);       // userdata "pump"
        putU8(PUMP_SUB + 8, 0);                // clock
        putI32(PUMP_SUB + 16, 1);              // monotonic
        putI64(PUMP_SUB + 24, millis * 1_000_000L);
        ok("poll_oneoff", PUMP_SUB, PUMP_EVENT, 1, RET + 60);
    }

    /** Runs the host's loop until {@code f} completes (at most PEER_TIMEOUT_MS), then returns its value. */
    <T> T pumpUntil(CompletableFuture<T> f) {
        long deadline = System.nanoTime() + PEER_TIMEOUT_MS * 1_000_000L;
        while (!f.isDone()) {
            if (System.nanoTime() - deadline > 0) {
                fail("peer did not finish within " + PEER_TIMEOUT_MS + " ms on " + transport.label());
            }
            pump(5);
        }
        return f.join();
    }

    // ------------------------------------------------------------------ java.net peers

    /** A java.net client connected to 127.0.0.1:port, with a read timeout. */
    static Socket client(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), PEER_TIMEOUT_MS);
        s.setSoTimeout(PEER_TIMEOUT_MS);
        return s;
    }

    /** Runs {@code work} on a virtual thread (a peer that blocks while the guest thread drives the host). */
    static <T> CompletableFuture<T> async(Callable<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread.ofVirtual().name("peer").start(() -> {
            try {
                f.complete(work.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Runs {@code blocked}, a guest call that waits for ever, on this thread while a peer stops the host 400 ms
     * in: the call must end with the stop (GuestStoppedException), having waited for it, and this thread must have
     * slept in the kernel meanwhile, not spun (less CPU than a quarter of the wait).
     */
    void assertWaitsWithoutSpinningUntilStopped(String what, Executable blocked) throws Exception {
        CompletableFuture<Void> stopper = async(() -> {
            Thread.sleep(400);
            host.stop();
            return null;
        });
        var threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        assertThrows(GuestStoppedException.class, blocked);
        long cpuMs = (threads.getCurrentThreadCpuTime() - cpu0) / 1_000_000;
        long wallMs = (System.nanoTime() - t0) / 1_000_000;
        stopper.join();
        assertTrue(wallMs >= 300, "the " + what + " waited for the stop, " + wallMs + " ms");
        assertTrue(cpuMs < wallMs / 4,
                "a blocked " + what + " must not spin: " + cpuMs + " ms of CPU in " + wallMs + " ms");
    }

    // ------------------------------------------------------------------ lifecycle

    @Override
    public void close() {
        watchdog.cancel(false);
        host.close();
    }
}
