package io.wasix.appliance.trap;

import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasm.ChicoryException;

/**
 * The machine of a module compiled at load time with some functions left to the interpreter: compiled code
 * enters those through the instance's machine, so routing them here to a {@link FallbackInterpreter} (instead
 * of the compiled machine's own, which cannot be replaced) lets a trap in one of them be named. Modules that
 * compile whole never get this wrapper.
 *
 * <p>Threading: the shard's thread.
 */
public final class FallbackMachine implements Machine, NamesInterpretedTraps {
    private final Machine compiled;
    private final FallbackInterpreter interpreter;
    private final java.util.Set<Integer> interpreted;

    public FallbackMachine(Machine compiled, FallbackInterpreter interpreter, java.util.Set<Integer> interpreted) {
        this.compiled = compiled;
        this.interpreter = interpreter;
        this.interpreted = interpreted;
    }

    @Override
    public long[] call(int funcId, long[] args) throws ChicoryException {
        return interpreted.contains(funcId) ? interpreter.call(funcId, args) : compiled.call(funcId, args);
    }

    @Override
    public int interpretedTrapFunction() {
        return interpreter.trapFunction();
    }
}
