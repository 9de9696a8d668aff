package io.wasix.host;

import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;

/**
 * How the embedder builds one instance of its module over the host's imports: the same machine (compiled at
 * build time, at load time, or interpreted) and memory factory for the main instance and for every guest
 * thread the module spawns, each of which runs its own instance over the shared memory. The host never needs
 * to know which. The instance must be built without running {@code _start} ({@code withStart(false)}); its
 * start section (a threaded module's {@code __wasm_init_memory}, which guards itself) runs as it is built.
 *
 * <p>Threading: called on the thread that will run the instance; must be safe to call from several at once.
 */
@FunctionalInterface
public interface InstanceFactory {
    Instance build(ImportValues imports);
}
