package io.wasix.host.metrics;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;

/**
 * The fields every syscall event has; each {@link SyscallFamily} has its own event type below, so a
 * recording's settings choose families. Off by default: enable one with a .jfc or with
 * {@code -XX:StartFlightRecording:wasix.SocketSyscall#enabled=true}. The event's duration is the time in
 * the host. Created, filled and committed on the guest thread.
 */
@Category({"WASIX", "Syscalls"})
@Enabled(false)
@StackTrace(false)
public abstract class SyscallEvent extends Event {
    @Label("Syscall")
    String syscall;

    @Label("File Descriptor")
    @Description("The fd the call acts on, or -1 for calls without one")
    int fd;

    @Label("Errno")
    @Description("What the call answered: SUCCESS, an errno name such as EAGAIN, or ENDED when it ended the guest")
    String errno;

    @Label("Shard")
    int shard;

    SyscallEvent() {}

    /** A started event of {@code family}, or null when a recording does not ask for that family. */
    static SyscallEvent begin(SyscallFamily family) {
        // The probe instance never escapes, so the JIT removes it: a disabled family costs a field read.
        SyscallEvent e = switch (family) {
            case SOCKET -> new Socket().isEnabled() ? new Socket() : null;
            case FILE -> new File().isEnabled() ? new File() : null;
            case POLL -> new Poll().isEnabled() ? new Poll() : null;
            case PROC -> new Proc().isEnabled() ? new Proc() : null;
            case CLOCK -> new Clock().isEnabled() ? new Clock() : null;
        };
        if (e != null) {
            e.begin();
        }
        return e;
    }

    @jdk.jfr.Name("wasix.SocketSyscall")
    @Label("WASIX Socket Syscall")
    static final class Socket extends SyscallEvent {}

    @jdk.jfr.Name("wasix.FileSyscall")
    @Label("WASIX File Syscall")
    static final class File extends SyscallEvent {}

    @jdk.jfr.Name("wasix.PollSyscall")
    @Label("WASIX Poll and Epoll Syscall")
    static final class Poll extends SyscallEvent {}

    @jdk.jfr.Name("wasix.ProcSyscall")
    @Label("WASIX Process Syscall")
    @Description("args, environ, sched_yield, proc_exit")
    static final class Proc extends SyscallEvent {}

    @jdk.jfr.Name("wasix.ClockSyscall")
    @Label("WASIX Clock and Random Syscall")
    static final class Clock extends SyscallEvent {}
}
