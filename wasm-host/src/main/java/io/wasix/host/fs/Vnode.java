package io.wasix.host.fs;

import io.wasix.host.abi.Errno;
import java.util.List;

/**
 * A file, directory or symbolic link in one mount. Directory operations take a single name (no slashes:
 * {@link PathWalker} has already resolved the path) and answer as Linux's *at calls would on that name.
 * Calls on the wrong kind fail with ENOTDIR. Owned by the guest thread of the mount's instance; in threaded mode, by
 * its guest threads, under the shard lock.
 */
public sealed interface Vnode permits MemNode, HostNode {
    Mount mount();

    Kind kind();

    Stat stat();

    /**
     * A directory's depth below its mount's root: 0 for the root, 1 for a directory in it. Only directories know
     * theirs (a file's names may be anywhere); ENOTDIR for the others.
     */
    int depth();

    /** The child called {@code name}, or null when there is none. */
    Vnode lookup(String name);

    /** Creates an empty regular file; EEXIST when the name is taken. */
    Vnode createFile(String name);

    void mkdir(String name);

    void symlink(String name, String target);

    /** A new name for {@code existing}, which must be a file or symlink of the same mount. */
    void link(String name, Vnode existing);

    /** Removes a non-directory name; EISDIR for a directory, as Linux's unlinkat without AT_REMOVEDIR. */
    void unlink(String name);

    void rmdir(String name);

    /** rename(2) within one mount: replaces a compatible target, refuses a directory moved under itself. */
    void rename(String name, Vnode toDir, String toName);

    /** Up to {@code max} entries whose names sort after {@code after} (null: from the start), in name order. */
    List<DirEntry> list(String after, int max);

    String readlink();

    void setTimes(Times times);

    /** The data of a regular file, for reading and (when {@code write}) writing. */
    OpenFile open(boolean write);

    /** What {@link #open} refuses on any mount: EISDIR for a directory, ELOOP for a symlink, EROFS for a write. */
    default void checkOpenable(boolean write) {
        if (kind() != Kind.FILE) {
            throw kind() == Kind.DIRECTORY ? Errno.ISDIR.fail() : Errno.LOOP.fail();
        }
        if (write) {
            mount().checkWritable();
        }
    }
}
