package io.wasix.appliance.trap;

import com.dylibso.chicory.runtime.StackFrame;
import java.util.Deque;

/**
 * The interpreter frame a trap was raised in. Chicory 1.7.5's interpreter does not say which function
 * trapped: its TrapException carries only a message, and each level of InterpreterMachine.call pops its
 * StackFrame in a finally block as the trap unwinds, so nothing is left afterwards. Our interpreters record
 * the top frame as the trap leaves their innermost eval, before that pop.
 *
 * <p>Threading: owned by the shard's thread, which runs the guest and later reads the record.
 */
public final class InterpretedTrap {
    private StackFrame frame;

    /** A new call into the guest: forget any earlier record. */
    void reset() {
        frame = null;
    }

    /**
     * Called as a trap leaves an eval; only the first (innermost) call records. No allocation: this runs
     * right after a StackOverflowError too.
     */
    void record(Deque<StackFrame> callStack) {
        if (frame == null) {
            frame = callStack.peek();
        }
    }

    /**
     * The recorded frame's wasm function index, or -1. StackFrame keeps its index package-private; its
     * toString starts with "[index]", after the function's name when the module has one.
     */
    int functionIndex() {
        if (frame == null) {
            return -1;
        }
        String s = frame.toString();
        int eol = s.indexOf('\n');
        String head = eol < 0 ? s : s.substring(0, eol);
        int open = head.lastIndexOf('[');
        if (open < 0 || !head.endsWith("]")) {
            return -1;
        }
        try {
            return Integer.parseInt(head.substring(open + 1, head.length() - 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
