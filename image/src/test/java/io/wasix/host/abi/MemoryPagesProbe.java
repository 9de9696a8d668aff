package io.wasix.host.abi;

import com.dylibso.chicory.runtime.ByteArrayMemory;
import com.dylibso.chicory.runtime.ByteBufferMemory;
import com.dylibso.chicory.wasm.types.MemoryLimits;

/**
 * Run by MemoryFastPathIT inside the linked image: prints whether {@link MemoryPages} reaches the pages of
 * both Chicory memory classes there, where Chicory is a named module and the reflection needs the image's
 * --add-opens. In this package because MemoryPages is package-private. Main thread only.
 */
public final class MemoryPagesProbe {
    private MemoryPagesProbe() {}

    public static void main(String[] args) {
        MemoryLimits limits = new MemoryLimits(1, 2);
        System.out.println("ByteArrayMemory=" + (MemoryPages.of(new ByteArrayMemory(limits)) != null));
        System.out.println("ByteBufferMemory=" + (MemoryPages.of(new ByteBufferMemory(limits)) != null));
    }
}
