package io.wasix.host.metrics;

/**
 * The subject a syscall belongs to: each family has its own JDK Flight Recorder event type, so a recording
 * can take the socket calls without the clock reads. Immutable; any thread.
 */
public enum SyscallFamily {
    SOCKET, FILE, POLL, PROC, CLOCK;

    /** The family of a syscall, by its import name; a name nothing else claims is a process call. */
    public static SyscallFamily of(String syscall) {
        if (syscall.startsWith("sock_") || syscall.equals("resolve")) {
            return SOCKET;
        }
        if (syscall.startsWith("fd_") || syscall.startsWith("path_") || syscall.equals("getcwd")
                || syscall.equals("chdir")) {
            return FILE;
        }
        if (syscall.equals("poll_oneoff") || syscall.startsWith("epoll_")) {
            return POLL;
        }
        if (syscall.startsWith("clock_") || syscall.equals("random_get")) {
            return CLOCK;
        }
        return PROC;
    }

    /**
     * Whether the syscall's first argument is a file descriptor (the socket, file or epoll set it acts on), so
     * that events and trace lines can name it.
     */
    public static boolean firstArgIsFd(String syscall) {
        return switch (of(syscall)) {
            case SOCKET -> !syscall.equals("sock_open") && !syscall.equals("sock_pair") && !syscall.equals("resolve");
            case FILE -> syscall.startsWith("fd_") || syscall.startsWith("path_");
            case POLL -> syscall.startsWith("epoll_") && !syscall.equals("epoll_create");
            case PROC, CLOCK -> false;
        };
    }
}
