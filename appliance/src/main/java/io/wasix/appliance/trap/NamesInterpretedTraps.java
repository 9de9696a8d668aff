package io.wasix.appliance.trap;

/**
 * A machine that knows which interpreted wasm function the last trap was raised in (see
 * {@link InterpretedTrap}). Threading: the shard's thread.
 */
public sealed interface NamesInterpretedTraps permits NamingInterpreter, FallbackMachine {
    /** The wasm function index, or -1 when no trap left the interpreter. */
    int interpretedTrapFunction();
}
