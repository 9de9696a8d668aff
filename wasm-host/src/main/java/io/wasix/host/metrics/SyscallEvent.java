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
 * {@code -XX:StartFlightRecording:+wasix.SocketSyscall#enabled=true}. The event's duration is the time in
 * the host. The concrete types live in {@link SyscallEvents}, not nested here: JDK 25's JFR fails to
 * instrument an event class nested in its own event superclass when a recording is already running as the
 * class loads ("duplicate class definition"), which is exactly the -XX:StartFlightRecording case.
 * Created, filled and committed on the calling guest thread.
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
}
