;; spin-start-section.wat - test guest whose start section loops for ever: it runs while the instance is
;; being made, before _start, and a signal must still stop it (LauncherIT).
;; Build: scripts/build-guests.sh (wat2wasm)
(module
  (memory (export "memory") 1)
  (func $spin_in_start
    (loop $again
      (br $again)))
  (start $spin_in_start)
  (func (export "_start")))
