#!/usr/bin/env bash
# check-guide.sh - builds every recipe of docs/guests.md with the guide's own commands, as a newcomer types
# them, and checks each result against the committed .wasm that GuideRecipesIT runs.
#
#   scripts/check-guide.sh
#
# scripts/build-guests.sh builds the committed modules with extra flags that make the bytes reproducible, so
# the guide's commands are checked here: every line of a ```sh block in docs/guests.md that starts with
# clang, /usr/bin/rustc or wat2wasm (with its \ continuations) runs in a scratch directory that sees the
# repository's docs/ and appliance/ (the commands name their sources relative to the top directory). Each
# module it writes must validate, export _start and memory, and import exactly what the committed module of
# the same name imports. Exit 1 on the first difference.
#
# Needs what build-guests.sh needs, plus wasm-objdump (wabt).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GUIDE="$ROOT/docs/guests.md"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/check-guide.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
ln -s "$ROOT/docs" "$TMP/docs"
ln -s "$ROOT/appliance" "$TMP/appliance"

# The build commands, one per line, continuations joined.
awk '
    /^```sh/ { inblock = 1; next }
    /^```/   { inblock = 0; next }
    inblock {
        line = cmd == "" ? $0 : cmd " " $0
        if (line ~ /\\$/) { sub(/\\$/, "", line); cmd = line; next }
        cmd = ""
        if (line ~ /^(clang|\/usr\/bin\/rustc|wat2wasm) /) print line
    }
' "$GUIDE" > "$TMP/commands"

count=$(wc -l < "$TMP/commands")
if ((count < 5)); then
    echo "check-guide: found $count build commands in docs/guests.md, expected one per recipe (5)" >&2
    exit 1
fi

imports() { # the import lines of a module: "module.name" and kind, sorted
    wasm-objdump -x -j Import "$1" | sed -n 's/^ - \([a-z]*\)\[[0-9]*\].*<- \(.*\)$/\2 \1/p' | LC_ALL=C sort
}

status=0
while IFS= read -r cmd; do
    out=$(sed -n 's/.* -o \([^ ]*\.wasm\).*/\1/p' <<<"$cmd")
    name=$(basename "$out")
    committed="$ROOT/docs/recipes/$name"
    echo "\$ $cmd"
    if ! (cd "$TMP" && bash -c "$cmd"); then
        echo "FAILED    the guide's command for $name" >&2
        status=1
        continue
    fi
    built="$TMP/$out"
    wasm-validate "$built"
    exports=$(wasm-objdump -x -j Export "$built")
    if ! grep -q '"_start"' <<<"$exports" || ! grep -q '"memory"' <<<"$exports"; then
        echo "DIFFERS   $name: exports no _start or no memory" >&2
        status=1
    elif [[ ! -f "$committed" ]]; then
        echo "MISSING   docs/recipes/$name, which the guide builds" >&2
        status=1
    elif ! diff <(imports "$committed") <(imports "$built") > "$TMP/diff"; then
        echo "DIFFERS   $name: the guide's command imports otherwise than docs/recipes/$name:" >&2
        cat "$TMP/diff" >&2
        status=1
    else
        echo "ok        $name ($(wc -c < "$built" | tr -d ' ') bytes, $(imports "$built" | wc -l) imports as committed)"
    fi
done < "$TMP/commands"
exit "$status"
