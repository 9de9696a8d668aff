package io.wasix.host.syscalls;

import static io.wasix.host.syscalls.HostFunctions.i32s;

import io.wasix.host.abi.Errno;
import io.wasix.host.abi.GuestMemory;
import io.wasix.host.fd.Descriptor;
import io.wasix.host.fd.EventCounter;
import io.wasix.host.fd.PipeEnd;
import io.wasix.host.net.GuestLoop;
import io.wasix.host.net.GuestSocket;

/**
 * poll_oneoff over clock, fd_read and fd_write subscriptions, in preview 1's layout and preview 0's. It runs
 * the guest's loop until an fd subscription is ready or the earliest clock fires; a clock-only poll is a sleep
 * that keeps serving IO. Runs on the guest thread; in threaded mode, on any guest thread under the shard lock.
 */
final class PollCalls {
    private static final int EVENT_SIZE = 32;

    /**
     * Where a subscription keeps its fields. Preview 0's clock has an extra u64 (identifier) at 16, which moves
     * the clock's fields 8 bytes on and makes the subscription 56 bytes instead of 48; the fd sits at 16 in both.
     */
    private record SubLayout(int size, int clockId, int timeout, int flags) {}

    private static final SubLayout PREVIEW1 = new SubLayout(48, 16, 24, 40);
    private static final SubLayout PREVIEW0 = new SubLayout(56, 24, 32, 48);

    private static final int CLOCK = 0, FD_READ = 1, FD_WRITE = 2;
    private static final int ABSTIME = 1, HANGUP = 1;
    private static final int CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1;

    private final GuestState state;

    PollCalls(GuestState state) {
        this.state = state;
    }

    void register(HostFunctions r) {
        r.preview1("poll_oneoff", i32s(4), (m, a) -> poll(m, PREVIEW1, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
        r.preview0("poll_oneoff", i32s(4), (m, a) -> poll(m, PREVIEW0, (int) a[0], (int) a[1], (int) a[2], (int) a[3]));
    }

    /** One decoded subscription. For clocks, {@code deadline} is in System.nanoTime terms. */
    private record Sub(long userdata, int tag, int fd, long deadline) {}

    private int poll(GuestMemory m, SubLayout layout, int in, int out, int n, int retN) {
        m.check(retN, 4);
        if (n <= 0) {
            throw Errno.INVAL.fail();
        }
        m.checkArray(in, n, layout.size());
        m.checkArray(out, n, EVENT_SIZE);
        Sub[] subs = new Sub[n];
        long earliest = GuestLoop.NO_DEADLINE;
        for (int i = 0; i < n; i++) {
            int at = in + i * layout.size();
            long userdata = m.readI64(at);
            int tag = m.readU8(at + 8);
            subs[i] = switch (tag) {
                case CLOCK -> {
                    long deadline = clockDeadline(m.readI32(at + layout.clockId()), m.readI64(at + layout.timeout()),
                            m.readU16(at + layout.flags()));
                    yield new Sub(userdata, tag, -1, deadline);
                }
                case FD_READ, FD_WRITE -> new Sub(userdata, tag, m.readI32(at + 16), 0);
                default -> throw Errno.INVAL.fail();
            };
            if (tag == CLOCK) {
                earliest = Math.min(earliest, subs[i].deadline());
            }
        }
        state.net.loop().await(() -> anyReady(subs), earliest);
        int count = 0;
        long now = System.nanoTime();
        for (Sub s : subs) {
            int at = out + count * EVENT_SIZE;
            if (s.tag == CLOCK) {
                if (now - s.deadline >= 0) {
                    writeEvent(m, at, s, Errno.SUCCESS, 0, 0);
                    count++;
                }
                continue;
            }
            Descriptor d = state.fds.peek(s.fd);
            if (d == null) {
                writeEvent(m, at, s, Errno.BADF, 0, 0);
                count++;
                continue;
            }
            int r = d.readiness();
            boolean wanted = s.tag == FD_READ ? (r & (Descriptor.IN | Descriptor.HUP | Descriptor.ERR)) != 0
                                              : (r & (Descriptor.OUT | Descriptor.HUP | Descriptor.ERR)) != 0;
            if (wanted) {
                long nbytes = s.tag != FD_READ ? 0 : switch (d) {
                    case GuestSocket gs -> gs.available();
                    case io.wasix.host.net.GuestUdpSocket u -> u.available(); // the next datagram's size
                    case PipeEnd p -> p.available();
                    case EventCounter ev -> 8; // one read's worth, as FIONREAD on an eventfd answers
                    // a regular file is always ready; nbytes is what is left to read, as wasmtime reports
                    case io.wasix.host.fs.FileDescriptor f -> Math.max(0, f.data().size() - f.position());
                    default -> 0;
                };
                int flags = (r & Descriptor.HUP) != 0 || (s.tag == FD_READ && (r & Descriptor.RDHUP) != 0) ? HANGUP : 0;
                writeEvent(m, at, s, Errno.SUCCESS, nbytes, flags);
                count++;
            }
        }
        m.writeI32(retN, count);
        return 0;
    }

    private boolean anyReady(Sub[] subs) {
        for (Sub s : subs) {
            if (s.tag == CLOCK) {
                continue; // the loop's deadline handles clocks
            }
            Descriptor d = state.fds.peek(s.fd);
            if (d == null) {
                return true; // report EBADF at once
            }
            int r = d.readiness();
            int mask = (s.tag == FD_READ ? Descriptor.IN : Descriptor.OUT) | Descriptor.HUP | Descriptor.ERR;
            if ((r & mask) != 0) {
                return true;
            }
        }
        return false;
    }

    private static long clockDeadline(int clockId, long timeout, int flags) {
        if (clockId != CLOCK_REALTIME && clockId != CLOCK_MONOTONIC) {
            throw Errno.INVAL.fail();
        }
        long relative = timeout;
        if ((flags & ABSTIME) != 0) {
            long now = clockId == CLOCK_REALTIME ? Clocks.realtimeNanos() : Clocks.monotonicNanos();
            relative = timeout - now;
        }
        if (relative <= 0) {
            return System.nanoTime();
        }
        return GuestLoop.deadline(relative);
    }

    private static void writeEvent(GuestMemory m, int at, Sub s, Errno error, long nbytes, int flags) {
        m.fill(at, EVENT_SIZE, (byte) 0);
        m.writeI64(at, s.userdata);
        m.writeU16(at + 8, error.code());
        m.writeU8(at + 10, s.tag);
        m.writeI64(at + 16, nbytes);
        m.writeU16(at + 24, flags);
    }
}
