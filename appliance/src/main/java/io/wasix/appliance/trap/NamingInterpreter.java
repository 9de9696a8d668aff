package io.wasix.appliance.trap;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.InterpreterMachine;
import com.dylibso.chicory.runtime.MStack;
import com.dylibso.chicory.runtime.StackFrame;
import com.dylibso.chicory.wasm.ChicoryException;
import java.util.Deque;

/**
 * Chicory's interpreter (--interpreter) that remembers which function a trap was raised in, so the trap
 * line can name it. Threading: the shard's thread, like any Machine.
 */
public final class NamingInterpreter extends InterpreterMachine implements NamesInterpretedTraps {
    private final InterpretedTrap trap = new InterpretedTrap();

    public NamingInterpreter(Instance instance) {
        super(instance);
    }

    @Override
    public long[] call(int funcId, long[] args) throws ChicoryException {
        trap.reset();
        return super.call(funcId, args);
    }

    // A WasmException (the exception-handling proposal) is not a ChicoryException: the guest may catch it.
    @Override
    protected void eval(MStack stack, Instance instance, Deque<StackFrame> callStack) throws ChicoryException {
        try {
            super.eval(stack, instance, callStack);
        } catch (ChicoryException | StackOverflowError e) {
            trap.record(callStack);
            throw e;
        }
    }

    @Override
    public int interpretedTrapFunction() {
        return trap.functionIndex();
    }
}
