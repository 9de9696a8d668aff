package io.wasix.host.fd;

/**
 * Something a guest fd can name: stdio, a file, a directory, a socket, an epoll set, a pipe end, an event fd.
 * Each syscall switches over the kinds it serves and answers the others as Linux would (ENOTSOCK, EINVAL...).
 * (Not sealed: the kinds live in different packages and this library is not a named module.) Owned by the
 * guest thread; in threaded mode, by any guest thread under the shard lock.
 */
public interface Descriptor {
    /** Readiness bits, in epoll's encoding. */
    int IN = 1, OUT = 2, RDHUP = 4, PRI = 8, ERR = 16, HUP = 32;

    /** WASI filetype, for fd_fdstat_get. */
    FileType fileType();

    /** Current epoll-style readiness (IN, OUT, HUP, RDHUP, ERR). */
    int readiness();

    /**
     * A counter that moves whenever new readiness arrives (data, a connection, writability regained,
     * hang-up), so edge-triggered epoll can tell a new edge from an old level.
     */
    long readinessSeq();

    /** Called when the last fd naming this descriptor is closed. */
    void close();

    /** WASI filetypes. The ordinal is the wire value. */
    enum FileType {
        UNKNOWN, BLOCK_DEVICE, CHARACTER_DEVICE, DIRECTORY, REGULAR_FILE, SOCKET_DGRAM, SOCKET_STREAM, SYMBOLIC_LINK
    }
}
