#!/usr/bin/env bash
# Assembles the container's root file system from the jlinked image (run by image/pom.xml at package):
#
#   assemble-rootfs.sh IMAGE_DIR ROOTFS_DIR CACHE_DIR
#
#   /appliance/               the jlinked image, whatever it holds (runtime, lib/app jars, argfile, caches),
#                             minus bin/appliance: a bash script, and the rootfs has no bash; plus
#                             lib/app/container.args, the ENTRYPOINT's argfile (class path and main class)
#   /appliance/lib/server/classes.jsa
#                             a symlink into CACHE_DIR, where the AOT cache moves
#   CACHE_DIR                 what becomes /var/cache/wasix-appliance, the one directory the image's user
#                             owns (the Dockerfile copies it --chown): compiled modules and the AOT cache,
#                             which `appliance compile --train` rewrites in an image built FROM this one
#   /lib64, /lib/<arch>/      exactly the shared libraries the image's ELF files need from the system,
#                             resolved by the dynamic loader itself (ldd) rather than listed by hand
#   /etc/passwd, /etc/group   root and the unprivileged user "appliance" (65532) the image runs as
#   /tmp                      1777, for engines that do not mount a tmpfs there
#
# RootfsIT checks the library set against what a real boot maps (/proc/PID/maps): nothing missing or extra.
# The libraries copied are listed in ROOTFS_DIR.libraries (beside it, outside the image); nothing is printed.
set -euo pipefail

image=${1:?IMAGE_DIR}
rootfs=${2:?ROOTFS_DIR}
cache=${3:?CACHE_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
image=$(cd "$image" && pwd)

rm -rf "$rootfs" "$cache"
mkdir -p "$rootfs/appliance" "$rootfs/etc" "$rootfs/tmp" "$cache"
cp -a "$image/." "$rootfs/appliance/"
rm -f "$rootfs/appliance/bin/appliance"
# The JVM maps lib/server/classes.jsa at every start without a flag; relative, so that the link also
# resolves inside target/ (../../../ is the rootfs's root from lib/server).
mv "$rootfs/appliance/lib/server/classes.jsa" "$cache/classes.jsa"
ln -s ../../../var/cache/wasix-appliance/classes.jsa "$rootfs/appliance/lib/server/classes.jsa"
# The class path is absolute here (the image's place is fixed), so it can live in an argfile: a derived
# image's RUN step then starts the appliance exactly as the ENTRYPOINT does, as the AOT cache requires.
printf '%s\n' '-cp /appliance/lib/app/wasm-host.jar:/appliance/lib/app/appliance.jar' \
    "$(grep -v '^#' "$image/lib/app/appliance.args" | grep .)" >"$rootfs/appliance/lib/app/container.args"
chmod 1777 "$rootfs/tmp"
install -m 644 "$here/etc/passwd" "$here/etc/group" "$rootfs/etc/"

# Every ELF file of the image (executables and libraries); its own libraries resolve inside the image.
mapfile -t elves < <(find "$image" -type f -exec sh -c 'head -c 4 "$1" | grep -q "^.ELF"' _ {} \; -print | sort)
declare -A own=()
for f in "${elves[@]}"; do own[$(basename "$f")]=1; done

declare -A needed=()
for f in "${elves[@]}"; do
    # ldd runs the loader in trace mode: each line is "soname => path (addr)", "path (addr)" for the
    # interpreter, or "soname => not found". The vDSO has no file.
    while read -r line; do
        case $line in
            linux-vdso.so.*) ;;
            *"=> not found"*)
                soname=${line%% *}
                [[ -n ${own[$soname]:-} ]] || { echo "assemble-rootfs: $f needs $soname, found nowhere" >&2; exit 1; } ;;
            *"=> "*)
                path=${line#*=> }; path=${path%% (*}
                [[ $path == "$image"/* ]] || needed[$path]=1 ;;
            /*)
                path=${line%% (*}
                needed[$path]=1 ;;
            *) echo "assemble-rootfs: cannot read ldd line for $f: $line" >&2; exit 1 ;;
        esac
    done < <(ldd "$f" 2>/dev/null | sed 's/^[[:space:]]*//' || true)
done

# Each library goes where the loader asked for it (its path in ldd's answer), as a regular file.
for path in "${!needed[@]}"; do
    mkdir -p "$rootfs$(dirname "$path")"
    cp -L "$path" "$rootfs$path"
done
printf '%s\n' "${!needed[@]}" | sort >"$rootfs.libraries"
