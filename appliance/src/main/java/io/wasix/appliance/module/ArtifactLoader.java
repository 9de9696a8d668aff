package io.wasix.appliance.module;

import io.wasix.appliance.trap.FallbackInterpreter;
import io.wasix.appliance.trap.FallbackMachine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.function.Function;

/**
 * Defines an artifact's classes in a loader of their own and makes its machine factory. Every class is
 * defined, linked and initialized here, on the module-load thread, so a class the JVM refuses fails the load
 * (and the module is compiled again) instead of a shard mid-run. Classes the JDK's AOT cache holds (from a
 * training run of this module: `appliance compile --train`) come from the cache, matched by name and bytes.
 *
 * <p>Threading: the loader is built and filled on one thread; afterwards the JVM may resolve through it from
 * any shard's thread, reading the immutable map.
 */
final class ArtifactLoader extends ClassLoader {
    private final Map<String, byte[]> classes;

    private ArtifactLoader(Map<String, byte[]> classes) {
        super("wasm-module", ArtifactLoader.class.getClassLoader());
        this.classes = classes;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] b = classes.get(name);
        if (b == null) {
            throw new ClassNotFoundException(name);
        }
        return defineClass(name, b, 0, b.length);
    }

    /**
     * The machine factory of {@code artifact}, whose {@code module} is its meta parsed; a trap in an interpreted
     * function is then named as in a module compiled at load time ({@link FallbackMachine}).
     */
    static Function<Instance, Machine> machineFactory(ModuleArtifact artifact) throws ModuleArtifact.UnusableException {
        ArtifactLoader loader = new ArtifactLoader(artifact.classes());
        Constructor<? extends Machine> constructor;
        try {
            for (String name : artifact.classes().keySet()) {
                Class.forName(name, true, loader);
            }
            constructor = Class.forName(artifact.mainClass(), true, loader).asSubclass(Machine.class)
                    .getConstructor(Instance.class);
        } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
            throw new ModuleArtifact.UnusableException("the JVM refused its classes: " + GuestModule.oneLine(e));
        }
        Function<Instance, Machine> compiled = instance -> newMachine(constructor, instance);
        if (artifact.interpreted().isEmpty()) {
            return compiled;
        }
        int[] ids = artifact.interpreted().stream().mapToInt(Integer::intValue).sorted().toArray();
        return instance -> new FallbackMachine(compiled.apply(instance), new FallbackInterpreter(instance, ids),
                artifact.interpreted());
    }

    private static Machine newMachine(Constructor<? extends Machine> constructor, Instance instance) {
        try {
            return constructor.newInstance(instance);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
