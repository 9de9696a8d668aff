package io.wasix.host.fs;

/** One name in a directory listing. Immutable; any thread. */
public record DirEntry(String name, long ino, Kind kind) {}
