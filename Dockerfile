# The WASIX appliance as a container image: nothing but the jlinked runtime, the app and the shared
# libraries the runtime loads. Build the root file system first, then the image (offline):
#
#   mvn -q package -DskipTests
#   podman build -t wasix-appliance .      # or: docker build / buildah bud
#   podman run --rm -p 8080:8080 wasix-appliance
#
# Configuration: APPLIANCE_* variables (-e APPLIANCE_SHARDS=2) or arguments after the image name, which
# follow `appliance run` (a module path or bundled guest name, --shards, --transport, ...). See README.
FROM scratch

LABEL org.opencontainers.image.title="wasix-appliance" \
      org.opencontainers.image.description="A jlinked Java 25 runtime that boots one WASIX WebAssembly server (Chicory + Netty)" \
      org.opencontainers.image.version="0.1.0-SNAPSHOT" \
      org.opencontainers.image.base.name="scratch"

# image/target/rootfs is assembled by `mvn package` (image/src/main/rootfs/assemble-rootfs.sh).
COPY image/target/rootfs/ /
# The one directory the appliance's user owns: compiled modules (APPLIANCE_CACHE) and the AOT cache that
# /appliance/lib/server/classes.jsa links to, both of which `appliance compile --train` writes in an image
# built FROM this one (see the README). Run containers --read-only and nothing changes them at run time.
COPY --chown=65532:65532 image/target/rootfs-cache/ /var/cache/wasix-appliance/
ENV APPLIANCE_CACHE=/var/cache/wasix-appliance

# The unprivileged user from the rootfs's /etc/passwd. The appliance needs no capability: it binds
# 8080, not a port below 1024.
USER 65532:65532
WORKDIR /tmp
EXPOSE 8080
# What the appliance treats as "finish in-flight responses, then exit 0" (SIGINT does the same).
STOPSIGNAL SIGTERM

# No shell in the image: the runtime's java is PID 1, with the class path and main class of
# lib/app/container.args, which a derived image's `RUN ["/appliance/bin/java", "@/appliance/lib/app/container.args",
# "compile", "--train", ...]` uses too.
ENTRYPOINT ["/appliance/bin/java", "@/appliance/lib/app/container.args", "run"]
