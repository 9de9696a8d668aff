package io.wasix.host.syscalls;

import com.dylibso.chicory.runtime.TrapException;

/**
 * Ends a guest that called a function which must not return (exec, thread_exit, stack_restore) and which this
 * host does not implement yet: returning would run code its compiler made unreachable, so the guest stops
 * with one line naming the function, as a trap does. Immutable; thrown on the guest thread.
 */
public final class UnsupportedCallTrap extends TrapException {
    private final String syscall;

    public UnsupportedCallTrap(String syscall) {
        super(syscall + " is not supported by this host (ENOTSUP); a later version makes it real");
        this.syscall = syscall;
    }

    public String syscall() {
        return syscall;
    }
}
