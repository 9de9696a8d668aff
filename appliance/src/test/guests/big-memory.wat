;; big-memory.wat - test guest that declares 65536 initial pages (4 GiB) of memory, more than a guest
;; memory can have on this host (Chicory: 32767 pages). Loading it must fail with one line, exit 1.
;; Build: scripts/build-guests.sh (wat2wasm --debug-names)
(module
  (memory (export "memory") 65536)
  (func $start (export "_start"))
)
