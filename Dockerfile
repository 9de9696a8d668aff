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

# The unprivileged user from the rootfs's /etc/passwd. The appliance needs no capability: it binds
# 8080, not a port below 1024.
USER 65532:65532
WORKDIR /tmp
EXPOSE 8080
# What the appliance treats as "finish in-flight responses, then exit 0" (SIGINT does the same).
STOPSIGNAL SIGTERM

# No shell in the image: the runtime's java is PID 1, with the arguments bin/appliance also uses.
ENTRYPOINT ["/appliance/bin/java", "-cp", "/appliance/lib/app/wasm-host.jar:/appliance/lib/app/appliance.jar", "@/appliance/lib/app/appliance.args", "run"]
