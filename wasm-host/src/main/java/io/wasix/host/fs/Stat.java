package io.wasix.host.fs;

/**
 * What fd_filestat_get and path_filestat_get report, in WASI's units (times in ns since the epoch).
 * Immutable; any thread.
 */
public record Stat(long dev, long ino, Kind kind, long nlink, long size, long atim, long mtim, long ctim) {}
