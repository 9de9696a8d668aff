#!/usr/bin/env bash
# build-guests.sh - rebuild every WebAssembly guest from its source.
#
#   scripts/build-guests.sh            rebuild each .wasm in place (beside its source)
#   scripts/build-guests.sh --check    rebuild into a temp dir and compare byte for byte with
#                                      the committed .wasm; list the ones that differ, exit 1
#
# Sources, searched recursively in
#   appliance/src/main/guests  wasm-host/src/test/guests  appliance/src/test/guests
#   bench/src/main/resources/guests (on the bench class path)  docs/recipes (the guide's recipes)
#   *.c   -> clang (freestanding wasm32, no libc) -> same name .wasm beside it
#   *.wat -> wat2wasm --debug-names             -> same name .wasm beside it
#   *.rs  -> Debian's rustc, target wasm32-wasi (std on wasi-libc) -> same name .wasm beside it
#
# A C source picks another profile, and may add flags, with a line in its first ten:
#   // build-guests: PROFILE [EXTRA CLANG FLAGS...]
# PROFILE is one of
#   freestanding  the default: no libc, our own _start, imports only from wasix.h
#   threads       freestanding, plus atomics and bulk memory, and an imported shared memory
#                 (env.memory, as wasix-libc links it): add -Wl,--max-memory=N as an extra flag
#   wasi-libc     Debian's wasi-libc (printf, files, crt1's _start), wasix.h for the sockets
# and may have the linked module rewritten by binaryen's wasm-opt with a line in its first ten:
#   // wasm-opt: FLAGS...
# e.g. `// wasm-opt: --asyncify` for a guest whose setjmp/longjmp (stack_checkpoint/stack_restore)
# needs asyncify's exports, as wasix-libc's toolchain makes every program.
# A .wat source may name wabt feature flags (for wat2wasm and wasm-validate alike) the same way:
#   ;; build-guests: --enable-exceptions
#
# Why the .wasm files are committed: the Maven build and the tests only read the .wasm; a
# fresh machine (or a developer laptop) usually has no clang with a wasm32 target and no
# wat2wasm, and Maven should not need them. So the binaries live in git next to their
# sources, and CI runs `--check` to prove they are exactly what these sources produce.
# The build is deterministic: -g0, -fno-ident (no compiler version "producers" section),
# no paths or timestamps. Different compiler versions may still generate different code;
# the reference toolchain is Debian's clang 14 + lld 14 and wabt 1.0.32, and for Rust Debian's
# rustc 1.63 with libstd-rust-dev-wasm32 (its "producers" section names that rustc; source paths
# are remapped to the repository's, so the bytes do not depend on where the checkout lives; --check
# builds each Rust source twice and reports a difference between the two as NONDETERMINISTIC).
# RUSTC defaults to /usr/bin/rustc, not the first rustc on the PATH: a rustup toolchain there is
# another compiler, whose output differs.
#
# Needs: clang, wasm-ld, wat2wasm, wasm-validate, rustc with the wasm32-wasi std, and wasm-opt for
# sources that ask for it
#   (Debian/Ubuntu: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt rustc
#    libstd-rust-dev-wasm32 binaryen)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

GUEST_DIRS=(appliance/src/main/guests wasm-host/src/test/guests appliance/src/test/guests bench/src/main/resources/guests
            docs/recipes)
APT_HINT="install them with: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32 wabt rustc libstd-rust-dev-wasm32 binaryen"

CLANG="${CLANG:-clang}"
WAT2WASM="${WAT2WASM:-wat2wasm}"
WASM_VALIDATE="${WASM_VALIDATE:-wasm-validate}"
RUSTC="${RUSTC:-/usr/bin/rustc}"
WASM_OPT="${WASM_OPT:-wasm-opt}"

usage() {
    echo "usage: $0 [--check]" >&2
    exit 2
}

CHECK=0
case "$#" in
    0) ;;
    1) case "$1" in
           --check) CHECK=1 ;;
           -h|--help) usage ;;
           *) echo "build-guests: unknown argument: $1" >&2; usage ;;
       esac ;;
    *) usage ;;
esac

# ---- sources ----------------------------------------------------------------------------
C_SOURCES=()
WAT_SOURCES=()
RS_SOURCES=()
for dir in "${GUEST_DIRS[@]}"; do
    [[ -d "$dir" ]] || continue
    while IFS= read -r f; do C_SOURCES+=("$f"); done \
        < <(find "$dir" -type f -name '*.c' | LC_ALL=C sort)
    while IFS= read -r f; do WAT_SOURCES+=("$f"); done \
        < <(find "$dir" -type f -name '*.wat' | LC_ALL=C sort)
    while IFS= read -r f; do RS_SOURCES+=("$f"); done \
        < <(find "$dir" -type f -name '*.rs' | LC_ALL=C sort)
done

# Two sources must not claim the same output (foo.c and foo.wat side by side).
dups="$(for f in "${C_SOURCES[@]}" "${WAT_SOURCES[@]}" "${RS_SOURCES[@]}"; do echo "${f%.*}.wasm"; done \
        | LC_ALL=C sort | uniq -d)"
if [[ -n "$dups" ]]; then
    echo "build-guests: more than one source for: $dups" >&2
    exit 1
fi

# ---- tools ------------------------------------------------------------------------------
missing=()
need() { # need TOOL APT_PACKAGE
    command -v "$1" >/dev/null 2>&1 || missing+=("$1 (apt package: $2)")
}
need "$CLANG" clang
need wasm-ld lld
need "$WAT2WASM" wabt
need "$WASM_VALIDATE" wabt
if ((${#RS_SOURCES[@]} > 0)); then
    need "$RUSTC" rustc
fi
for src in "${C_SOURCES[@]}"; do
    if head -n 10 "$src" | grep -q '^[[:space:]]*//[[:space:]]*wasm-opt:'; then
        need "$WASM_OPT" binaryen
        break
    fi
done
if ((${#missing[@]} > 0)); then
    echo "build-guests: missing tool(s):" >&2
    for m in "${missing[@]}"; do echo "  $m" >&2; done
    echo "build-guests: $APT_HINT" >&2
    exit 1
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/build-guests.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# clang 14 runs wasm-opt on what it links at -O2 whenever it finds one (binaryen), which would make
# every guest's bytes depend on whether binaryen is installed. It looks in the directory it was invoked
# from (/usr/bin for /usr/bin/clang, where binaryen puts wasm-opt too) and on the PATH. So clang is
# invoked through a link in a directory of our own that holds only wasm-ld, with that directory as its
# PATH; wasm-opt runs only where a source asks for it (see above), as a step of its own.
mkdir -p "$TMP/clang-path"
ln -s "$(command -v "$CLANG")" "$TMP/clang-path/clang"
# wasm-ld and its versioned names beside it (Debian's clang 14 asks for wasm-ld-14)
for ld in "$(dirname "$(command -v wasm-ld)")"/wasm-ld*; do
    ln -s "$ld" "$TMP/clang-path/$(basename "$ld")"
done
clang_() {
    PATH="$TMP/clang-path" "$TMP/clang-path/clang" "$@"
}

# Freestanding wasm32: no libc, no crt, our own _start; imports come only from the
# __attribute__((import_module, import_name)) declarations in wasix.h.
# -mcpu=mvp pins the feature set (newer clangs enable sign-ext etc. by default).
CFLAGS=(
    --target=wasm32-wasi -mcpu=mvp
    -std=c11 -O2 -g0 -fno-ident
    -ffreestanding -nostdlib
    "-ffile-prefix-map=$ROOT/="
    -Wall -Wextra
    -I appliance/src/main/guests
    -Wl,--no-entry -Wl,--export=_start
    -Wl,--stack-first -Wl,-z,stack-size=65536
)

# Added to CFLAGS by `// build-guests: threads`: the threads proposal, with the memory imported and
# shared the way wasix-libc links every module (env.memory, shared), so the host creates it.
THREAD_FLAGS=(
    -matomics -mbulk-memory -mmutable-globals
    -Wl,--shared-memory -Wl,--import-memory
    -Wl,--export=__stack_pointer
)

# `// build-guests: wasi-libc`: a hosted program on Debian's wasi-libc (crt1 provides _start).
LIBC_CFLAGS=(
    --target=wasm32-wasi --sysroot=/usr -mcpu=mvp
    -std=c11 -O2 -g0 -fno-ident
    "-ffile-prefix-map=$ROOT/="
    -Wall -Wextra
    -I appliance/src/main/guests
)

# The profile line of a C source, "PROFILE EXTRA..." (empty: freestanding).
profile_of() {
    head -n 10 "$1" | sed -n 's|^[[:space:]]*//[[:space:]]*build-guests:[[:space:]]*||p' | head -n 1
}

# The wasm-opt line of a C source, its flags (empty: none).
wasm_opt_of() {
    head -n 10 "$1" | sed -n 's|^[[:space:]]*//[[:space:]]*wasm-opt:[[:space:]]*||p' | head -n 1
}

# Probe once so a clang without the wasm32 backend / wasm-ld fails with a clear message.
printf 'void _start(void) {}\n' > "$TMP/probe.c"
if ! clang_ "${CFLAGS[@]}" -o "$TMP/probe.wasm" "$TMP/probe.c" 2> "$TMP/probe.err"; then
    cat "$TMP/probe.err" >&2
    echo "build-guests: $CLANG cannot build wasm32 modules; $APT_HINT" >&2
    exit 1
fi

# Rust: the guide's own command (docs/guests.md), plus the path remapping that keeps the checkout's
# location out of the bytes (panic messages name their source file).
RUSTFLAGS_WASM=(
    --edition 2021 --target wasm32-wasi
    -C opt-level=2 -C strip=debuginfo
    "--remap-path-prefix=$ROOT/="
)
if ((${#RS_SOURCES[@]} > 0)); then
    printf 'fn main() {}\n' > "$TMP/probe.rs"
    if ! "$RUSTC" "${RUSTFLAGS_WASM[@]}" -o "$TMP/probe-rs.wasm" "$TMP/probe.rs" 2> "$TMP/probe-rs.err"; then
        cat "$TMP/probe-rs.err" >&2
        echo "build-guests: $RUSTC cannot build for wasm32-wasi; $APT_HINT" >&2
        exit 1
    fi
fi

# ---- build ------------------------------------------------------------------------------
build_one() { # build_one SOURCE OUTPUT
    local src="$1" out="$2"
    local wabt_flags=() # the wabt features the module needs: wat2wasm's for a .wat, wasm-validate's for all
    mkdir -p "$(dirname "$out")"
    case "$src" in
        *.c)
            local line profile extra
            line="$(profile_of "$src")"
            read -r profile extra <<<"$line"
            # shellcheck disable=SC2206 # the extra flags are words, split on purpose
            local extras=($extra)
            case "${profile:-freestanding}" in
                freestanding) clang_ "${CFLAGS[@]}" "${extras[@]}" -o "$out" "$src" ;;
                threads) clang_ "${CFLAGS[@]}" "${THREAD_FLAGS[@]}" "${extras[@]}" -o "$out" "$src"
                         wabt_flags=(--enable-threads) ;; # a shared memory and atomics
                wasi-libc) clang_ "${LIBC_CFLAGS[@]}" "${extras[@]}" -o "$out" "$src" ;;
                *) echo "build-guests: $src: unknown profile '$profile' (freestanding, threads, wasi-libc)" >&2
                   return 1 ;;
            esac
            local opt
            opt="$(wasm_opt_of "$src")"
            if [[ -n "$opt" ]]; then
                # shellcheck disable=SC2206 # the flags are words, split on purpose
                local opts=($opt)
                "$WASM_OPT" "${opts[@]}" "$out" -o "$out.opt" && mv -f "$out.opt" "$out"
            fi ;;
        *.wat)
            local features
            features="$(head -n 10 "$src" | sed -n 's|^[[:space:]]*;;[[:space:]]*build-guests:[[:space:]]*||p' | head -n 1)"
            # shellcheck disable=SC2206 # flags, split on purpose
            wabt_flags=($features)
            "$WAT2WASM" --debug-names "${wabt_flags[@]}" "$src" -o "$out" ;;
        *.rs) "$RUSTC" "${RUSTFLAGS_WASM[@]}" -o "$out" "$src" ;;
    esac
    chmod 0644 "$out" # clang marks its output executable; a .wasm is data
    "$WASM_VALIDATE" "${wabt_flags[@]}" "$out"
}

status=0
for src in "${C_SOURCES[@]}" "${WAT_SOURCES[@]}" "${RS_SOURCES[@]}"; do
    wasm="${src%.*}.wasm"
    built="$TMP/out/$wasm"
    if ! build_one "$src" "$built"; then
        echo "FAILED    $src" >&2
        status=1
        continue
    fi
    size="$(wc -c < "$built" | tr -d ' ')"
    if ((CHECK)); then
        again="$TMP/again/$wasm"
        if [[ "$src" == *.rs ]] && { ! build_one "$src" "$again" || ! cmp -s "$built" "$again"; }; then
            echo "NONDETERMINISTIC $wasm (two builds of $src differ)"
            status=1
        elif [[ ! -f "$wasm" ]]; then
            echo "MISSING   $wasm (not committed; run scripts/build-guests.sh)"
            status=1
        elif ! cmp -s "$built" "$wasm"; then
            echo "DIFFERS   $wasm (rebuilt from $src: $size bytes, committed: $(wc -c < "$wasm" | tr -d ' ') bytes)"
            status=1
        else
            echo "ok        $wasm"
        fi
    else
        if [[ -f "$wasm" ]] && cmp -s "$built" "$wasm"; then
            echo "unchanged $wasm ($size bytes)"
        else
            cp "$built" "$wasm.tmp.$$"
            mv -f "$wasm.tmp.$$" "$wasm"
            echo "built     $wasm ($size bytes)"
        fi
    fi
done

if ((CHECK)) && ((status != 0)); then
    echo "build-guests: committed .wasm files do not match their sources; run scripts/build-guests.sh and commit the result" >&2
fi
exit "$status"
