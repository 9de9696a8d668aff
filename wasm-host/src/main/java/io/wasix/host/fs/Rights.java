package io.wasix.host.fs;

/**
 * WASI preview1 rights bits, and the sets a new fd gets. An fd's base rights say what may be done with it,
 * its inheriting rights what fds opened through it may get; a call without its right is ENOTCAPABLE.
 * Constants; any thread.
 */
public final class Rights {
    public static final long FD_DATASYNC = 1L, FD_READ = 1L << 1, FD_SEEK = 1L << 2, FD_FDSTAT_SET_FLAGS = 1L << 3,
            FD_SYNC = 1L << 4, FD_TELL = 1L << 5, FD_WRITE = 1L << 6, FD_ADVISE = 1L << 7, FD_ALLOCATE = 1L << 8,
            PATH_CREATE_DIRECTORY = 1L << 9, PATH_CREATE_FILE = 1L << 10, PATH_LINK_SOURCE = 1L << 11,
            PATH_LINK_TARGET = 1L << 12, PATH_OPEN = 1L << 13, FD_READDIR = 1L << 14, PATH_READLINK = 1L << 15,
            PATH_RENAME_SOURCE = 1L << 16, PATH_RENAME_TARGET = 1L << 17, PATH_FILESTAT_GET = 1L << 18,
            PATH_FILESTAT_SET_SIZE = 1L << 19, PATH_FILESTAT_SET_TIMES = 1L << 20, FD_FILESTAT_GET = 1L << 21,
            FD_FILESTAT_SET_SIZE = 1L << 22, FD_FILESTAT_SET_TIMES = 1L << 23, PATH_SYMLINK = 1L << 24,
            PATH_REMOVE_DIRECTORY = 1L << 25, PATH_UNLINK_FILE = 1L << 26, POLL_FD_READWRITE = 1L << 27,
            SOCK_SHUTDOWN = 1L << 28, SOCK_ACCEPT = 1L << 29;

    public static final long ALL = (1L << 30) - 1;

    /** What a regular file fd can use. */
    public static final long FILE = FD_DATASYNC | FD_READ | FD_SEEK | FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_TELL
            | FD_WRITE | FD_ADVISE | FD_ALLOCATE | FD_FILESTAT_GET | FD_FILESTAT_SET_SIZE | FD_FILESTAT_SET_TIMES
            | POLL_FD_READWRITE;

    /** What a directory fd can use (as base). */
    public static final long DIRECTORY = FD_FDSTAT_SET_FLAGS | FD_SYNC | FD_ADVISE | PATH_CREATE_DIRECTORY
            | PATH_CREATE_FILE | PATH_LINK_SOURCE | PATH_LINK_TARGET | PATH_OPEN | FD_READDIR | PATH_READLINK
            | PATH_RENAME_SOURCE | PATH_RENAME_TARGET | PATH_FILESTAT_GET | PATH_FILESTAT_SET_SIZE
            | PATH_FILESTAT_SET_TIMES | FD_FILESTAT_GET | FD_FILESTAT_SET_TIMES | PATH_SYMLINK
            | PATH_REMOVE_DIRECTORY | PATH_UNLINK_FILE;

    private Rights() {}
}
