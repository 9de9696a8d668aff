#!/usr/bin/env bash
# check-jdk-message.sh - prove that a machine without JDK 25 gets the build's one-line error.
#
# Hides every JDK 25 that maven-toolchains-plugin could discover (and ~/.m2/toolchains.xml) behind empty
# mounts in a private mount namespace, runs `mvn -o validate` there, and checks that it fails with the
# message of the root pom's jdk-25-installed rule. Needs root (unshare -m); run after a build has filled
# ~/.m2, since it runs Maven offline.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! unshare -m true 2>/dev/null; then
    echo "SKIPPED: check-jdk-message.sh needs a private mount namespace (unshare -m as root)" >&2
    exit 0
fi

if mvn -v 2>/dev/null | grep -q '^Java version: 25'; then
    echo "SKIPPED: check-jdk-message.sh: Maven itself runs on JDK 25 here, which cannot be hidden from it" >&2
    exit 0
fi

# Where the toolchains plugin's discovery looks, and JAVA_HOME.
roots=(/usr/lib/jvm /usr/jdk /opt "$HOME/.jdks" "$HOME/.m2/jdks" "$HOME/.sdkman/candidates/java" "$HOME/.gradle/jdks"
       "$HOME/.jenv/versions" "$HOME/.jbang/cache/jdks" "$HOME/.asdf/installs/java" "$HOME/.jabba/jdk")
hide=()
for root in "${roots[@]}"; do
    for release in "$root"/*/release; do
        [[ -f $release ]] && grep -q '^JAVA_VERSION="25' "$release" && hide+=("$(cd "$(dirname "$release")" && pwd -P)")
    done
done
if [[ -n ${JAVA_HOME:-} && -f $JAVA_HOME/release ]] && grep -q '^JAVA_VERSION="25' "$JAVA_HOME/release"; then
    hide+=("$(cd "$JAVA_HOME" && pwd -P)")
fi
echo "hiding: ${hide[*]:-(no JDK 25 installed)}"

script='set -e
for dir in "$@"; do mount -t tmpfs none "$dir"; done
if [ -f "$HOME/.m2/toolchains.xml" ]; then mount --bind /dev/null "$HOME/.m2/toolchains.xml"; fi
exec mvn -B -q -o validate'
if out=$(unshare -m sh -c "$script" sh "${hide[@]}" 2>&1); then
    echo "FAIL: the build went on without a JDK 25" >&2
    exit 1
fi
line=$(grep -m1 'No JDK 25 found' <<<"$out" || true)
if [[ -z $line || $line != *"install a JDK 25"* ]]; then
    echo "FAIL: the build failed without the jdk-25-installed message:" >&2
    echo "$out" >&2
    exit 1
fi
echo "ok: ${line#\[ERROR\] }"
