package io.wasix.host.metrics;

import jdk.jfr.Description;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** The JFR event type of each {@link SyscallFamily}. Stateless; any guest thread. */
final class SyscallEvents {
    private SyscallEvents() {}

    /** A started event of {@code family}, or null when a recording does not ask for that family. */
    static SyscallEvent begin(SyscallFamily family) {
        // Initializing an event class registers it (JFR injects that into its <clinit>), which builds JFR's
        // whole metadata repository: ~150 ms at the first syscall of a boot (measured with the boot report,
        // "listener bound"). No recording can exist before Flight Recorder is initialized (a Recording,
        // -XX:StartFlightRecording and jcmd JFR.start all initialize it first), so until then the event
        // classes stay untouched. One volatile read, a plain load on x86.
        if (!FlightRecorder.isInitialized()) {
            return null;
        }
        return Recorded.begin(family);
    }

    /**
     * Linked only once a recording exists: verifying its switch loads every event class (each result must be
     * a SyscallEvent), and JFR event classes are the ones the JDK's AOT cache cannot hold, so at the first
     * syscall of every boot they came from the jar, with JFR's instrumentation, for nothing.
     */
    private static final class Recorded {
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
    }

    @Name("wasix.SocketSyscall")
    @Label("WASIX Socket Syscall")
    static final class Socket extends SyscallEvent {}

    @Name("wasix.FileSyscall")
    @Label("WASIX File Syscall")
    static final class File extends SyscallEvent {}

    @Name("wasix.PollSyscall")
    @Label("WASIX Poll and Epoll Syscall")
    static final class Poll extends SyscallEvent {}

    @Name("wasix.ProcSyscall")
    @Label("WASIX Process Syscall")
    @Description("args, environ, sched_yield, proc_exit")
    static final class Proc extends SyscallEvent {}

    @Name("wasix.ClockSyscall")
    @Label("WASIX Clock and Random Syscall")
    static final class Clock extends SyscallEvent {}
}
