;; spin-start.wat - test guest whose _start loops for ever in $spin without calling the host: a signal's
;; grace and the watchdog must still stop it (LauncherIT).
;; Build: scripts/build-guests.sh (wat2wasm)
(module
  (memory (export "memory") 1)
  (func $spin
    (loop $again
      (br $again)))
  (func (export "_start")
    call $spin))
