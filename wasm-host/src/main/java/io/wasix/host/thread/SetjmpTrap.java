package io.wasix.host.thread;

import com.dylibso.chicory.runtime.TrapException;

/**
 * Ends a guest whose setjmp or longjmp cannot work: a module without asyncify, a longjmp to a jmp_buf no
 * setjmp of this thread filled. wasix-libc traps on any error of stack_checkpoint, and stack_restore must
 * not return, so the guest stops with one line that says why, as a trap does. Thrown on the guest thread.
 */
public final class SetjmpTrap extends TrapException {
    public SetjmpTrap(String message) {
        super(message);
    }
}
