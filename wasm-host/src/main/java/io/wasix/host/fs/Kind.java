package io.wasix.host.fs;

import io.wasix.host.fd.Descriptor.FileType;

/** The three kinds of node a mount holds. Immutable; any thread. */
public enum Kind {
    FILE(FileType.REGULAR_FILE), DIRECTORY(FileType.DIRECTORY), SYMLINK(FileType.SYMBOLIC_LINK);

    private final FileType fileType;

    Kind(FileType fileType) {
        this.fileType = fileType;
    }

    public FileType fileType() {
        return fileType;
    }
}
