package io.wasix.appliance.trap;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.runtime.internal.CompilerInterpreterMachine;
import com.dylibso.chicory.wasm.ChicoryException;
import java.util.Deque;

/**
 * Runs the functions the compiler left to the interpreter (too large for a JVM method), as Chicory's own
 * CompilerInterpreterMachine does, and remembers which one a trap was raised in. A call from one of them to a
 * compiled function goes back through the instance's machine ({@link FallbackMachine}).
 *
 * <p>Threading: the shard's thread.
 */
public final class FallbackInterpreter extends CompilerInterpreterMachine {
    private final InterpretedTrap trap = new InterpretedTrap();

    public FallbackInterpreter(Instance instance, int[] interpretedFunctions) {
        super(instance, interpretedFunctions);
    }

    @Override
    public long[] call(int funcId, long[] args) throws ChicoryException {
        trap.reset();
        return super.call(funcId, args);
    }

    @Override
    protected void eval(MStack stack, Instance instance, Deque<StackFrame> callStack) throws ChicoryException {
        try {
            super.eval(stack, instance, callStack);
        } catch (ChicoryException | StackOverflowError e) {
            trap.record(callStack);
            throw e;
        }
    }

    int trapFunction() {
        return trap.functionIndex();
    }
}
